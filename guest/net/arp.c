#include "net/arp.h"

#include "lib/string.h"
#include "net/bytes.h"
#include "net/ethernet.h"
#include "net/netif.h"

#define ARP_HTYPE_ETHERNET 1
#define ARP_OP_REQUEST     1
#define ARP_OP_REPLY       2
#define ARP_PACKET_LEN     28

/* Packet layout (RFC 826) for hlen 6, plen 4. */
#define ARP_OFF_HTYPE 0
#define ARP_OFF_PTYPE 2
#define ARP_OFF_HLEN  4
#define ARP_OFF_PLEN  5
#define ARP_OFF_OP    6
#define ARP_OFF_SHA   8
#define ARP_OFF_SPA   14
#define ARP_OFF_THA   18
#define ARP_OFF_TPA   24

struct arp_entry {
    uint32_t ip;
    uint8_t mac[ETH_ALEN];
    bool valid;
};

/* Global so a debugger can show it. */
struct arp_entry arp_cache[ARP_CACHE_SIZE];
static unsigned arp_next_victim;

static void cache_update(uint32_t ip, const uint8_t *mac, bool insert)
{
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
        if (arp_cache[i].valid && arp_cache[i].ip == ip) {
            memcpy(arp_cache[i].mac, mac, ETH_ALEN);
            return;
        }
    }
    if (!insert)
        return;
    struct arp_entry *e = &arp_cache[arp_next_victim];
    arp_next_victim = (arp_next_victim + 1) % ARP_CACHE_SIZE;
    e->ip = ip;
    memcpy(e->mac, mac, ETH_ALEN);
    e->valid = true;
}

bool arp_lookup(uint32_t ip, uint8_t mac_out[6])
{
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
        if (arp_cache[i].valid && arp_cache[i].ip == ip) {
            memcpy(mac_out, arp_cache[i].mac, ETH_ALEN);
            return true;
        }
    }
    return false;
}

static bool arp_send(uint16_t op, const uint8_t *dst_mac, const uint8_t *target_mac,
                     uint32_t target_ip)
{
    uint8_t frame[ETH_HLEN + ARP_PACKET_LEN];
    uint8_t *p = frame + ETH_HLEN;
    put_be16(p + ARP_OFF_HTYPE, ARP_HTYPE_ETHERNET);
    put_be16(p + ARP_OFF_PTYPE, ETHERTYPE_IPV4);
    p[ARP_OFF_HLEN] = ETH_ALEN;
    p[ARP_OFF_PLEN] = 4;
    put_be16(p + ARP_OFF_OP, op);
    memcpy(p + ARP_OFF_SHA, netif.mac, ETH_ALEN);
    put_be32(p + ARP_OFF_SPA, netif.ip);
    memcpy(p + ARP_OFF_THA, target_mac, ETH_ALEN);
    put_be32(p + ARP_OFF_TPA, target_ip);
    return eth_send(frame, dst_mac, ETHERTYPE_ARP, ARP_PACKET_LEN);
}

bool arp_request(uint32_t ip)
{
    static const uint8_t unknown[ETH_ALEN];
    return arp_send(ARP_OP_REQUEST, eth_broadcast, unknown, ip);
}

void arp_input(const uint8_t *p, size_t len)
{
    if (len < ARP_PACKET_LEN || get_be16(p + ARP_OFF_HTYPE) != ARP_HTYPE_ETHERNET ||
        get_be16(p + ARP_OFF_PTYPE) != ETHERTYPE_IPV4 || p[ARP_OFF_HLEN] != ETH_ALEN ||
        p[ARP_OFF_PLEN] != 4) {
        net_drop("arp: malformed");
        return;
    }
    uint16_t op = get_be16(p + ARP_OFF_OP);
    const uint8_t *sha = p + ARP_OFF_SHA;
    uint32_t spa = get_be32(p + ARP_OFF_SPA);
    uint32_t tpa = get_be32(p + ARP_OFF_TPA);
    bool for_us = tpa == netif.ip;

    /* RFC 826 merge: refresh a known sender; learn it only if the packet is addressed to us. */
    cache_update(spa, sha, for_us);
    if (!for_us) {
        net_drop("arp: not for our address");
        return;
    }
    if (op == ARP_OP_REQUEST)
        arp_send(ARP_OP_REPLY, sha, sha, spa);
    else if (op != ARP_OP_REPLY)
        net_drop("arp: unknown opcode");
}
