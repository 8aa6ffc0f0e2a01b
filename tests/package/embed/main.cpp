/* SPDX-License-Identifier: Apache-2.0 */
// Calls the library from C++ through the vendored source tree.
#include <conseco.h>

#include <cstdio>

int main()
{
    std::size_t k = 0;
    const int rc = conseco_rank(99, 0.1, &k);
    if (rc != CONSECO_OK || k == 0 || k > 99) {
        std::printf("embed: conseco_rank failed (%d, k = %zu)\n", rc, k);
        return 1;
    }
    std::printf("embed: conseco %s, rank(99, 0.1) = %zu\n", conseco_version_string(), k);
    return 0;
}
