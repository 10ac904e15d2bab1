/*
 * The lmnic device fuzzer: libFuzzer drives two adapters, each in a guest
 * of its own, with programs of guest operations (fuzz_ops.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stddef.h>
#include <stdint.h>

#include "fuzz_ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fo_run(data, size);
    return 0;
}
