/*
 * Fuzz target: the tool's .npy reader (tools/conseco/npy.c) on arbitrary bytes.
 * Invariants: never reads outside the input; on success the shape is 2-D or
 * 3-D, non-empty, and its data exactly fills the rest of the file.
 */
#include <stdint.h>

#include "fuzz_check.h"
#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cli_npy a;
    const char *why = NULL;
    size_t i, sum = 0;
    if (cli_npy_parse(data, size, &a, &why) != 0) {
        FUZZ_CHECK(why != NULL && why[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(a.ndim == 2 || a.ndim == 3);
    FUZZ_CHECK(a.count >= 1 && a.height >= 1 && a.width >= 1);
    FUZZ_CHECK(a.ndim == 3 || a.count == 1);
    FUZZ_CHECK(a.item_size == 1 || a.item_size == 2 || a.item_size == 4 || a.item_size == 8);
    FUZZ_CHECK(a.slice_bytes == a.height * a.width * a.item_size);
    FUZZ_CHECK(a.data >= data && a.data <= data + size);
    FUZZ_CHECK((size_t)(data + size - a.data) == a.slice_bytes * a.count);
    /* touch every byte of the last slice: ASan would see an overrun */
    for (i = 0; i < a.slice_bytes; i++) sum += cli_npy_slice(&a, a.count - 1)[i];
    (void)sum;
    return 0;
}
