#include "net/checksum.h"

uint32_t checksum_add(uint32_t sum, const uint8_t *data, size_t len)
{
    size_t i = 0;
    for (; i + 1 < len; i += 2) {
        sum += (uint32_t)(data[i] << 8 | data[i + 1]);
        if (sum & 0x80000000u)   /* fold early so a 64 KiB packet cannot overflow */
            sum = (sum & 0xFFFF) + (sum >> 16);
    }
    if (i < len)
        sum += (uint32_t)data[i] << 8;
    return sum;
}

uint16_t checksum_finish(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t checksum_pseudo_header(uint32_t src_ip, uint32_t dst_ip, uint8_t protocol,
                                uint16_t length)
{
    return (src_ip >> 16) + (src_ip & 0xFFFF) + (dst_ip >> 16) + (dst_ip & 0xFFFF) + protocol +
           length;
}
