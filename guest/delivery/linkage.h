/* The engine's end of the linkage: framing, sequence numbers, acknowledgements, duplicate
 * suppression (a command is carried out once per sequence number; a repeat gets the cached
 * reply) and retransmission of the engine's own notices until the node acknowledges them. */
#ifndef DELIVERY_LINKAGE_H
#define DELIVERY_LINKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINK_PAYLOAD_MAX 1400
#define LINK_REPLY_MAX   112

/* Carries out one command. Returns the ACK payload length (written to reply), or -error
 * (enum link_error) for a NACK. */
typedef int (*link_command_fn)(uint8_t type, const uint8_t *payload, size_t len, uint8_t *reply);
/* The node acknowledged a notice of ours (ack payload included). */
typedef void (*link_acked_fn)(uint8_t type, const uint8_t *payload, size_t len);

struct link_stats {
    uint32_t commands, duplicates, stale, malformed, rx_dropped, retransmits, notices_dropped;
};

void link_init(uint32_t boot_id, uint32_t gateway_ip, link_command_fn command, link_acked_fn acked);
/* Serves queued datagrams and retransmits notices that are due. */
void link_poll(uint64_t now_ns);
bool link_pending_input(void);
/* Sends a notice (HELLO, ENDED, FAILED) reliably: retransmitted until acknowledged. */
bool link_notify(uint8_t type, const uint8_t *payload, size_t len, uint64_t now_ns);
/* Sends a STATS part (unacknowledged). */
void link_send_stats(const uint8_t *payload, size_t len);
bool link_peer_mac(uint8_t mac[6]);
const struct link_stats *link_get_stats(void);

#endif
