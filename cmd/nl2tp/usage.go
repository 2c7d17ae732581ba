package main

import "strings"

const usageHead = `Usage: nl2tp [ OPTIONS ] COMMAND
       nl2tp [ OPTIONS ] -batch FILE [ -force ]

nl2tp speaks the grammar of "ip l2tp" and adds what ip lacks.

OPTIONS := { -j[son] | -p[retty] | -s[tatistics] | -n[etns] NETNS | -h[elp] | -V[ersion] }
       -j       JSON output (the keys of "ip -j l2tp show"); -p indents it
       -s       show every statistics counter
       -n NETNS run in network namespace NETNS: a name under /run/netns,
                or a path to a namespace file (e.g. /proc/1/ns/net)
       -batch FILE  run the commands in FILE ("-" for stdin), one per line
                ("l2tp " at the start of a line is allowed, # starts a
                comment); consecutive add/del lines go to the kernel as one
                netlink batch. Without -force nl2tp stops after the first
                batch with a failure; -force goes on to the end.
`

var usageVerbs = map[string]string{
	"add": `
nl2tp add tunnel tunnel_id ID peer_tunnel_id ID local ADDR remote ADDR
          [ encap { ip | udp } ] [ udp_sport PORT ] [ udp_dport PORT ]
          [ udp_csum { on | off } ] [ udp6_csum_tx { on | off } ]
          [ udp6_csum_rx { on | off } ] [ version { 2 | 3 } ]
nl2tp add session [ name NAME ] tunnel_id ID session_id ID peer_session_id ID
          [ cookie HEXSTR ] [ peer_cookie HEXSTR ]
          [ seq { none | send | recv | both } ] [ l2spec_type L2SPEC ]
          [ pw { eth | ppp } ] [ lns_mode { on | off } ] [ reorder_timeout MS ]
          [ offset OFFSET ] [ peer_offset OFFSET ]   (accepted and ignored)
          defaults: encap udp, udp_csum off, udp6_csum_tx/rx on, version 3,
          seq none, l2spec_type default (none with pw ppp), pw eth,
          lns_mode off
`,
	"del": `
nl2tp del tunnel tunnel_id ID
nl2tp del session { tunnel_id ID session_id ID | name NAME }
`,
	"show": `
nl2tp show tunnel [ tunnel_id ID ]
nl2tp show session [ tunnel_id ID ] [ session_id ID ] [ name NAME ]
          ("list" and "lst" are aliases of "show")
`,
	"modify": `
nl2tp modify session { tunnel_id ID session_id ID | name NAME }
          [ seq { none | send | recv | both } ] [ lns_mode { on | off } ]
          [ reorder_timeout MS ]
`,
	"monitor": `
nl2tp monitor
          print tunnel and session create, delete and modify events as they
          happen (with -j, one JSON object per line)
`,
}

const usageTail = `
Where: NAME   := interface name, at most 15 bytes
       ADDR   := IPv4 or IPv6 address
       PORT   := { 1..65535 }
       ID     := { 1..4294967295 } (1..65535 for version 2)
       HEXSTR := { 8 or 16 hex digits (4 / 8 bytes) }
       L2SPEC := { none | default }
       MS     := milliseconds
Aliases: tid = tunnel_id, ptid = peer_tunnel_id, sid = session_id,
         psid = peer_session_id, pw_type = pw.
Exit status: 0 success, 1 an operation failed, 2 bad usage.
`

// usage returns the help text for topic: "" for everything, or a verb.
func usage(topic string) string {
	if s, ok := usageVerbs[topic]; ok {
		return "Usage:" + s + usageTail
	}
	var b strings.Builder
	b.WriteString(usageHead)
	for _, v := range []string{"add", "del", "show", "modify", "monitor"} {
		b.WriteString(usageVerbs[v])
	}
	b.WriteString(usageTail)
	return b.String()
}
