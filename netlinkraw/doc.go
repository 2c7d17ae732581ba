// Package netlinkraw is nl2tp's own AF_NETLINK layer: the netlink wire
// format and a socket that exchanges messages with the kernel. It serves any
// netlink protocol and any generic netlink family, and depends on nothing but
// the standard library and golang.org/x/sys/unix.
//
// # Wire format
//
// Encoder appends messages and attributes to a byte slice; MessageDecoder and
// AttrDecoder iterate over received bytes without copying them. Neither
// allocates once its buffer is large enough, and both compile on every OS.
//
// # Exchanges
//
// A Conn (Linux only) is one netlink socket:
//
//   - Request sends one message with NLM_F_ACK and returns when its ACK or
//     error arrives, passing any replies to a callback. An ACK is never left
//     queued; replies to other sequence numbers (say, of a request whose
//     context was cancelled) are dropped, never attributed to the wrong
//     request.
//   - Dump sends an NLM_F_DUMP request and passes each message of the
//     multipart answer to a callback until NLMSG_DONE; an error in DONE, and
//     NLM_F_DUMP_INTR (ErrDumpInterrupted), are reported.
//   - Batch sends many requests in as few write calls as the socket buffers
//     allow and returns one result per request, in order.
//   - Receive reads the next datagram of multicast events; a receive-buffer
//     overrun is reported as ErrEventsLost.
//
// Kernel errors come back as *Error, which carries the extended-ACK message
// and offset (NETLINK_EXT_ACK is on by default) and unwraps to the errno.
//
// # Concurrency
//
// A Conn is safe for concurrent use. Its exchanges run one at a time: a
// second goroutine waits (honouring its context) until the first is done.
// Every blocking call honours its context's cancellation and deadline. Close
// may be called at any time, from any goroutine; it wakes a blocked exchange,
// which returns an error wrapping net.ErrClosed, as do all later calls. No
// goroutine runs on behalf of a Conn.
//
// Request, Dump and Batch drop multicast messages they meet, so a program
// that listens for events should give them a Conn of their own. Request,
// Dump and Batch fill in the sequence number, port ID and flags of the
// messages they are given, in place.
package netlinkraw
