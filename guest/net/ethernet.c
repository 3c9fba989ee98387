#include "net/ethernet.h"

#include "lib/string.h"
#include "net/arp.h"
#include "net/bytes.h"
#include "net/ipv4.h"
#include "net/netif.h"

const uint8_t eth_broadcast[ETH_ALEN] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

void eth_input(const uint8_t *frame, size_t len)
{
    if (len < ETH_HLEN) {
        net_drop("ethernet: runt frame");
        return;
    }
    if (memcmp(frame, netif.mac, ETH_ALEN) != 0 && memcmp(frame, eth_broadcast, ETH_ALEN) != 0) {
        net_drop("ethernet: not our MAC");
        return;
    }
    const uint8_t *src = frame + ETH_ALEN;
    const uint8_t *payload = frame + ETH_HLEN;
    size_t plen = len - ETH_HLEN;
    switch (get_be16(frame + 12)) {
    case ETHERTYPE_ARP:
        arp_input(payload, plen);
        break;
    case ETHERTYPE_IPV4:
        ipv4_input(src, payload, plen);
        break;
    default:
        net_drop("ethernet: unsupported ethertype");
        break;
    }
}

bool eth_send(uint8_t *frame, const uint8_t dst[ETH_ALEN], uint16_t ethertype, size_t payload_len)
{
    memcpy(frame, dst, ETH_ALEN);
    memcpy(frame + ETH_ALEN, netif.mac, ETH_ALEN);
    put_be16(frame + 12, ethertype);
    return net_output(frame, ETH_HLEN + payload_len);
}
