/* ARP for IPv4 over Ethernet (RFC 826): answers requests for our address, caches peers. */
#ifndef NET_ARP_H
#define NET_ARP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARP_CACHE_SIZE 8

void arp_input(const uint8_t *pkt, size_t len);
/* Look a peer up in the cache; false if unknown. */
bool arp_lookup(uint32_t ip, uint8_t mac_out[6]);
/* Broadcast a who-has request for ip. */
bool arp_request(uint32_t ip);

#endif
