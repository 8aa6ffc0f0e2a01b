/* SPDX-License-Identifier: Apache-2.0 */
/* The subcommands of `conseco`; each returns a cli_exit code. argv[0] is the command name. */
#ifndef CONSECO_CLI_COMMANDS_H
#define CONSECO_CLI_COMMANDS_H

int cli_cmd_calibrate(int argc, char **argv);
int cli_cmd_apply(int argc, char **argv);
int cli_cmd_evaluate(int argc, char **argv);
int cli_cmd_demo(int argc, char **argv);

/* Checks shared by the commands: usage errors with the flag's name. */
int cli_check_tau(double tau);
/* `conseco demo --3d` (cmd_demo3d.c). */
int cli_demo_3d(const char *out, int quiet);
int cli_check_alpha(double alpha);

#endif /* CONSECO_CLI_COMMANDS_H */
