/* The Internet checksum (RFC 1071): 16-bit one's complement of the one's complement sum. */
#ifndef NET_CHECKSUM_H
#define NET_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes, as big-endian 16-bit words (odd tail padded with zero), to a running sum. */
uint32_t checksum_add(uint32_t sum, const uint8_t *data, size_t len);
/* Fold the carries and complement: the value to store in a header. */
uint16_t checksum_finish(uint32_t sum);
/* Sum of the IPv4 pseudo-header used by UDP (RFC 768). */
uint32_t checksum_pseudo_header(uint32_t src_ip, uint32_t dst_ip, uint8_t protocol,
                                uint16_t length);

#endif
