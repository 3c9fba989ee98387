/* The one network interface: its addresses, its counters, and the boundary to the NIC driver. */
#ifndef NET_NETIF_H
#define NET_NETIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netif {
    uint8_t mac[6];
    uint32_t ip;        /* host byte order: 10.0.2.15 is 0x0A00020F */
    uint32_t gateway;
    uint32_t netmask;
};

extern struct netif netif;

/* Why the stack dropped its most recent frame; for a debugger watch window. */
extern const char *net_last_drop_reason;

void net_init(const uint8_t mac[6], uint32_t ip, uint32_t gateway);
/* Receive path entry, called by the driver for every good frame (without FCS). */
void net_input(const uint8_t *frame, size_t len);
/* Transmit a complete Ethernet frame. */
bool net_output(const uint8_t *frame, size_t len);
/* Frames output between these two leave together at the end (one doorbell for a scheduler pass). */
void net_output_batch_begin(void);
void net_output_batch_end(void);
/* Count a received frame the stack did not consume. */
void net_drop(const char *reason);
uint32_t net_drops(void);

/* "10.0.2.15" -> 0x0A00020F; false on anything but four decimal octets. */
bool net_parse_ipv4(const char *s, uint32_t *out);

#endif
