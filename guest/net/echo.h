/* UDP services: echo on port 7 (RFC 862) and discard on port 9 (RFC 863), where the payload
 * "stats" prints and returns the interface counters, which tests rely on. */
#ifndef NET_ECHO_H
#define NET_ECHO_H

#define UDP_PORT_ECHO    7
#define UDP_PORT_DISCARD 9

void echo_service_start(void);

#endif
