/* SPDX-License-Identifier: GPL-2.0 */
/* CRC-32C (Castagnoli), as the adapter and the driver compute it. */
#ifndef LMNIC_TOOLS_CRC32C_H
#define LMNIC_TOOLS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t lmnic_crc32c(const void *buf, size_t len);
/* The register alone: no inversion on the way in or out (seed ~0 to start). */
uint32_t lmnic_crc32c_raw(uint32_t crc, const void *buf, size_t len);

#endif
