// Package l2tp programs the Linux kernel's L2TP data plane through its
// "l2tp" generic netlink family: tunnels (L2TPv2 and L2TPv3, over UDP or
// IP, IPv4 or IPv6, static or managed on a socket of the program's own),
// sessions (Ethernet and PPP pseudowires, cookies, sequence numbers,
// reordering), their statistics, change events, and batches of many
// changes at once. It uses no cgo and no third-party netlink library.
//
// # Connecting
//
// Dial opens a Conn in a network namespace (the caller's, or one named in
// Config). Every L2TP object lives in the namespace of the socket that made
// it. Changing anything, and on kernels since 5.7 even listing, needs
// CAP_NET_ADMIN in the user namespace that owns the network namespace.
// A Conn is safe for concurrent use.
//
// # Values
//
// Tunnel and Session describe objects both ways: what the Create calls
// take and what Get, List and events report. Addresses are netip.Addr,
// ports uint16, the reorder timeout a time.Duration, pseudowire, encap and
// l2spec types typed enums. Stats carries all ten counters, each optional
// (Stats.Present), because older kernels send fewer. Decoding a reply
// allocates at most once, for the interface name and cookies together.
//
// # Checks before sending
//
// Every call checks its arguments before it sends anything: zero IDs,
// L2TPv2 IDs above 65535, cookies other than 0, 4 or 8 bytes, interface
// names longer than 15 bytes or holding '/', ':', whitespace or NUL, mixed
// or missing address families, ports with IP encapsulation, IP
// encapsulation or non-PPP pseudowires on L2TPv2, L2TPv3-only options on
// L2TPv2, negative reorder timeouts, enum values out of range. Such errors
// match ErrInvalid and read like
//
//	l2tp: session 7: Cookie must be 4 or 8 bytes, got 5
//
// To check a session against its tunnel's version, CreateSession and
// CreateSessions first get the tunnel.
//
// # Errors
//
// Kernel errors keep their errno and extended-ACK text (errors.As to a
// *netlinkraw.Error, errors.Is with a syscall.Errno), and gain meaning:
//
//   - a missing tunnel or session (the kernel says ENODEV, not ENOENT)
//     matches ErrNotFound;
//   - an ID or interface name in use (EEXIST) matches fs.ErrExist;
//   - a missing "l2tp" family (Dial) matches errors.ErrUnsupported and says
//     to load l2tp_netlink;
//   - a pseudowire the kernel lacks (EPROTONOSUPPORT on session creation)
//     matches errors.ErrUnsupported and names the module, l2tp_eth or
//     l2tp_ppp; so does a static tunnel over IP without l2tp_ip or
//     l2tp_ip6;
//   - calls on a closed Conn match net.ErrClosed.
//
// # Kernel behaviour this package hides
//
// UDP_CSUM is sent only to enable checksums (the kernel reads any value as
// "on"); L2SPEC_TYPE is always sent for L2TPv3 sessions (absent, the
// kernel would pick "default" where the Go zero value means "none"); dumps
// carry no filters (the kernel ignores them) and ListSessions filters
// itself; STATS is decoded as nested although the kernel does not flag it
// so; PAD and unknown attributes are skipped; GET requests read up to
// their ACK, so none is left queued.
//
// # Events
//
// Conn.Events subscribes to the "l2tp" multicast group on a socket of its
// own and yields the six kinds of events (tunnel and session create,
// delete, modify) with the full object. Lost events (the socket's buffer
// overflowed) are reported as ErrEventsLost. See Subscription for what the
// kernel does not announce.
package l2tp
