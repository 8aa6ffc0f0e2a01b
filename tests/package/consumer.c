/* SPDX-License-Identifier: Apache-2.0 */
/* Smallest real use of an installed libconseco: rank, a score and lambda_hat. */
#include <conseco.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    static uint8_t scores[4 * 4], truth[4 * 4];
    conseco_threshold_params params;
    conseco_shrinker sh;
    conseco_image pred;
    conseco_mask gt;
    unsigned char scratch[1 << 16];
    double score = 0.0, lambda_hat = 0.0;
    size_t k = 0;
    int rc;

    if (conseco_version_number() != CONSECO_VERSION_NUMBER) {
        fprintf(stderr, "header %s but library %s\n", CONSECO_VERSION_STRING,
                conseco_version_string());
        return 1;
    }
    memset(scores, 200, sizeof scores);    /* everything predicted */
    memset(truth, 1, 8);                   /* top half is true */
    scores[0] = 255;
    conseco_threshold_params_default(&params);
    sh = conseco_shrinker_threshold(&params);
    pred = conseco_image_2d(scores, 4, 4, 4, CONSECO_DTYPE_U8);
    gt = conseco_mask_2d(truth, 4, 4, 4);
    if (conseco_scratch_size(&sh, 4, 4, 1) > sizeof scratch) return 2;
    rc = conseco_score(&sh, &pred, &gt, 0.1, scratch, sizeof scratch, &score);
    if (rc != CONSECO_OK) {
        fprintf(stderr, "conseco_score: %s\n", conseco_strerror(rc));
        return 3;
    }
    rc = conseco_rank(9, 0.1, &k);
    if (rc != CONSECO_OK || k != 9) return 4;
    {
        double cal[3] = {0.6, 0.8, 0.7};
        rc = conseco_quantile(cal, 3, 0.5, &lambda_hat, &k);
        if (rc != CONSECO_OK || k != 2 || lambda_hat != 0.7) return 5;
    }
    printf("consumer ok: libconseco %s score %.17g\n", conseco_version_string(), score);
    return 0;
}
