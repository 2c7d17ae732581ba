// Command nl2tp manages the Linux kernel's L2TP tunnels and sessions. It
// speaks the grammar of iproute2's "ip l2tp" — same keywords, aliases,
// defaults, and for "show" the same plain and JSON output — and adds what
// ip lacks. It is one static binary with no cgo.
//
//	nl2tp [ -j [-p] ] [ -s ] [ -n NETNS ] COMMAND
//	nl2tp [ OPTIONS ] -batch FILE [ -force ]
//
// Commands (run "nl2tp help" for the full grammar):
//
//	add tunnel     tunnel_id ID peer_tunnel_id ID local ADDR remote ADDR
//	               [ encap ip|udp ] [ udp_sport PORT ] [ udp_dport PORT ]
//	               [ udp_csum on|off ] [ udp6_csum_tx on|off ] [ udp6_csum_rx on|off ]
//	               [ version 2|3 ]
//	add session    [ name NAME ] tunnel_id ID session_id ID peer_session_id ID
//	               [ cookie HEX ] [ peer_cookie HEX ] [ seq none|send|recv|both ]
//	               [ l2spec_type none|default ] [ pw eth|ppp ] [ lns_mode on|off ]
//	               [ reorder_timeout MS ]
//	del tunnel     tunnel_id ID
//	del session    tunnel_id ID session_id ID | name NAME
//	show tunnel    [ tunnel_id ID ]
//	show session   [ tunnel_id ID ] [ session_id ID ] [ name NAME ]
//	modify session tunnel_id ID session_id ID | name NAME
//	               [ seq none|send|recv|both ] [ lns_mode on|off ] [ reorder_timeout MS ]
//	monitor
//
// Beyond ip: version 2 tunnels and ppp pseudowires; show filters that
// filter (the kernel's dumps ignore them, and so does ip); modify; the
// statistics counters (-s); monitor; -n/-netns taking a name under
// /run/netns or a path; -batch sending consecutive add/del lines as netlink
// batches.
//
// # Exit status and errors
//
// 0 on success, 1 when an operation failed, 2 for a usage error. Errors are
// one line on stderr naming the operation and the reason, with the
// kernel's extended-ACK text when it sent one:
//
//	nl2tp: delete tunnel 999: tunnel not found
//	nl2tp: add tunnel: unknown keyword "frob"
//	nl2tp: batch line 3: create session 1 in tunnel 9: tunnel 9 not found
//
// # JSON output
//
// "show" with -j prints a JSON array of objects, one per tunnel or session,
// with -p indented as iproute2 indents it. The keys are iproute2's; keys
// marked (nl2tp) are added only when they say something ip cannot, so the
// output for state ip can create is identical to "ip -j l2tp show".
//
// A tunnel:
//
//	tunnel_id    number   local tunnel ID
//	encap        string   "UDP" or "IP"
//	local        string   local address
//	peer         string   remote address
//	peer_tunnel  number   peer's tunnel ID
//	local_port   number   UDP source port (UDP only)
//	peer_port    number   UDP destination port (UDP only)
//	checksum     bool     UDP checksums on (IPv4 UDP only)
//	checksum_tx  bool     UDP checksums sent (IPv6 UDP only)
//	checksum_rx  bool     UDP checksums required (IPv6 UDP only)
//	version      number   (nl2tp) L2TP version, present only when not 3
//	stats        object   (nl2tp) with -s: the counters below
//
// A session:
//
//	session_id       number  local session ID
//	tunnel_id        number  local tunnel ID
//	peer_session_id  number  peer's session ID
//	peer_tunnel_id   number  peer's tunnel ID
//	interface        string  interface name, if the session has one
//	cookie           string  cookie in hex, if set
//	peer_cookie      string  peer cookie in hex, if set
//	reorder_timeout  number  milliseconds, if not zero
//	send_seq         null    present when sequence numbers are sent
//	recv_seq         null    present when sequence numbers are required
//	pw_type          string  (nl2tp) "ppp", present only when not eth
//	lns_mode         bool    (nl2tp) true, present only when LNS mode is on
//	stats            object  (nl2tp) with -s: the counters below
//
// Statistics (-s), in a "stats" object; each key is present only when the
// kernel reports that counter (kernels before 5.10 lack some):
//
//	tx_packets tx_bytes tx_errors rx_packets rx_bytes rx_seq_discards
//	rx_cookie_discards rx_oos_packets rx_errors rx_invalid
//
// Plain output with -s adds two lines per object:
//
//	RX: packets N bytes N seq_discards N cookie_discards N oos_packets N errors N invalid N
//	TX: packets N bytes N errors N
//
// "monitor -j" prints one object per event and line (JSON Lines), where
// "event" is create_tunnel, delete_tunnel, modify_tunnel, create_session,
// delete_session or modify_session and the object is as in "show":
//
//	{"event":"create_tunnel","tunnel":{...}}
//	{"event":"delete_session","session":{...}}
//	{"event":"lost"}
//
// "lost" means the kernel dropped events because the receive buffer
// overflowed; monitor goes on. Plain monitor output prints a line such as
// "[create tunnel]" and then the object as "show" prints it.
//
// Cookies of other lengths than 4 or 8 bytes (which only other tools can
// create) are printed in full, where ip prints 4 bytes.
package main
