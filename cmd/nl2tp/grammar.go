package main

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/nl2tp/nl2tp/internal/text"
)

// The command grammar: iproute2's "ip l2tp" (ip/ipl2tp.c, parse_args and
// do_add/do_del/do_show) with its keywords, aliases and defaults, plus
// what ip lacks (version, pw, lns_mode, reorder_timeout, modify, monitor,
// show filters that filter).

// command is a parsed command line.
type command interface {
	// op names the operation in error messages: "delete tunnel 999".
	op() string
}

// helpCmd asks for usage text; Topic is "" (everything) or a verb.
type helpCmd struct{ Topic string }

// addTunnelCmd is "add tunnel".
type addTunnelCmd struct {
	TunnelID     uint32
	PeerTunnelID uint32
	Version      uint8 // 3 unless "version 2"
	Encap        encapType
	Local        netip.Addr
	Remote       netip.Addr
	UDPSport     uint16
	UDPDport     uint16
	UDPCsum      bool // udp_csum, default off
	UDP6CsumTx   bool // udp6_csum_tx, default on
	UDP6CsumRx   bool // udp6_csum_rx, default on
}

// addSessionCmd is "add session".
type addSessionCmd struct {
	Name           string
	TunnelID       uint32
	PeerTunnelID   uint32 // accepted as ip does; the kernel ignores it
	SessionID      uint32
	PeerSessionID  uint32
	Pseudowire     pwType     // pw, default eth
	Cookie         []byte     // nil or 4 or 8 bytes
	PeerCookie     []byte     // nil or 4 or 8 bytes
	SendSeq        bool       // seq send|both
	RecvSeq        bool       // seq recv|both
	L2Spec         l2specType // l2spec_type, default "default"
	LNSMode        bool
	ReorderTimeout time.Duration
}

// delTunnelCmd is "del tunnel".
type delTunnelCmd struct{ TunnelID uint32 }

// delSessionCmd is "del session": by tunnel and session ID, or by Name.
type delSessionCmd struct {
	TunnelID  uint32
	SessionID uint32
	Name      string
}

// modifySessionCmd is "modify session"; nil fields are left as they are.
type modifySessionCmd struct {
	TunnelID       uint32
	SessionID      uint32
	Name           string
	SendSeq        *bool
	RecvSeq        *bool
	LNSMode        *bool
	ReorderTimeout *time.Duration
}

// showCmd is "show tunnel" or "show session"; zero filters match all.
type showCmd struct {
	Sessions  bool
	TunnelID  uint32
	SessionID uint32
	Name      string
}

// monitorCmd is "monitor".
type monitorCmd struct{}

func (c *helpCmd) op() string      { return "help" }
func (c *addTunnelCmd) op() string { return "create tunnel " + text.Itoa(c.TunnelID) }
func (c *delTunnelCmd) op() string { return "delete tunnel " + text.Itoa(c.TunnelID) }
func (c *addSessionCmd) op() string {
	return "create session " + text.Itoa(c.SessionID) + " in tunnel " + text.Itoa(c.TunnelID)
}
func (c *delSessionCmd) op() string { return "delete " + sessionRef(c.TunnelID, c.SessionID, c.Name) }
func (c *modifySessionCmd) op() string {
	return "modify " + sessionRef(c.TunnelID, c.SessionID, c.Name)
}
func (c *monitorCmd) op() string { return "monitor" }
func (c *showCmd) op() string {
	if c.Sessions {
		return "list sessions"
	}
	return "list tunnels"
}

func sessionRef(tid, sid uint32, name string) string {
	if name != "" {
		return "session " + name
	}
	return "session " + text.Itoa(sid) + " in tunnel " + text.Itoa(tid)
}

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErr(msg string) error { return &usageError{msg} }

// matches reports whether arg is a non-empty prefix of word, as iproute2's
// matches() does for commands.
func matches(arg, word string) bool { return arg != "" && strings.HasPrefix(word, arg) }

// isHelp reports whether arg asks for help where a keyword is expected:
// any prefix of "help" (as ip), or -h, -help, --help.
func isHelp(arg string) bool {
	return matches(arg, "help") || arg == "-h" || arg == "-help" || arg == "--help"
}

// verbs in the order they are tried, so that a prefix resolves as in ip
// ("d" is delete, "l" and "s" are show). modify and monitor need at least
// three letters to tell them apart.
var verbs = []struct {
	word string
	min  int
	verb string
}{
	{"add", 1, "add"},
	{"delete", 1, "del"},
	{"show", 1, "show"},
	{"lst", 1, "show"},
	{"list", 1, "show"},
	{"modify", 3, "modify"},
	{"monitor", 3, "monitor"},
}

// parseCommand parses a command line without the global options, e.g.
// ["add", "tunnel", "tunnel_id", "1", ...].
func parseCommand(args []string) (command, error) {
	if len(args) == 0 {
		return nil, usageErr("missing command; try \"nl2tp help\"")
	}
	if isHelp(args[0]) {
		return &helpCmd{}, nil
	}
	verb := ""
	for _, v := range verbs {
		if len(args[0]) >= v.min && matches(args[0], v.word) {
			verb = v.verb
			break
		}
	}
	if verb == "" {
		return nil, usageErr("unknown command " + strconv.Quote(args[0]) + "; try \"nl2tp help\"")
	}
	if verb == "monitor" {
		for _, a := range args[1:] {
			if isHelp(a) {
				return &helpCmd{Topic: verb}, nil
			}
			return nil, usageErr("monitor: unknown argument " + strconv.Quote(a))
		}
		return &monitorCmd{}, nil
	}
	obj, kvs, help, err := scanArgs(verb, args[1:])
	if help {
		return &helpCmd{Topic: verb}, nil
	}
	if err != nil {
		return nil, err
	}
	if obj == "" {
		return nil, usageErr(verb + ": missing \"tunnel\" or \"session\"")
	}
	ctx := verb + " " + obj
	p := &argParser{ctx: ctx}
	var c command
	switch ctx {
	case "add tunnel":
		c = p.addTunnel(kvs)
	case "add session":
		c = p.addSession(kvs)
	case "del tunnel":
		c = p.delTunnel(kvs)
	case "del session":
		c = p.delSession(kvs)
	case "show tunnel", "show session":
		c = p.show(obj == "session", kvs)
	case "modify session":
		c = p.modifySession(kvs)
	default:
		return nil, usageErr(verb + ": only sessions can be modified (the kernel changes nothing in a tunnel)")
	}
	if p.err != nil {
		return nil, p.err
	}
	return c, nil
}

// keyword is one KEY VALUE pair of a command line, by canonical name.
type keyword struct{ key, val string }

// aliases maps every keyword nl2tp knows to its canonical name.
var aliases = map[string]string{
	"tunnel_id": "tunnel_id", "tid": "tunnel_id",
	"peer_tunnel_id": "peer_tunnel_id", "ptid": "peer_tunnel_id",
	"session_id": "session_id", "sid": "session_id",
	"peer_session_id": "peer_session_id", "psid": "peer_session_id",
	"encap":        "encap",
	"local":        "local",
	"remote":       "remote",
	"udp_sport":    "udp_sport",
	"udp_dport":    "udp_dport",
	"udp_csum":     "udp_csum",
	"udp6_csum_tx": "udp6_csum_tx",
	"udp6_csum_rx": "udp6_csum_rx",
	"name":         "name",
	"cookie":       "cookie",
	"peer_cookie":  "peer_cookie",
	"seq":          "seq",
	"l2spec_type":  "l2spec_type",
	"offset":       "offset",
	"peer_offset":  "peer_offset",
	"version":      "version",
	"pw":           "pw", "pw_type": "pw",
	"lns_mode":        "lns_mode",
	"reorder_timeout": "reorder_timeout",
}

// scanArgs splits args into the object ("tunnel" or "session", which ip
// accepts anywhere among the keywords) and KEY VALUE pairs.
func scanArgs(verb string, args []string) (obj string, kvs []keyword, help bool, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "tunnel" || a == "session":
			if obj != "" && obj != a {
				return "", nil, false, usageErr(verb + ": give either \"tunnel\" or \"session\", not both")
			}
			obj = a
		case isHelp(a):
			return obj, nil, true, nil
		default:
			key, ok := aliases[a]
			if !ok {
				what := verb
				if obj != "" {
					what += " " + obj
				}
				return "", nil, false, usageErr(what + ": unknown keyword " + strconv.Quote(a))
			}
			if i+1 >= len(args) {
				return "", nil, false, usageErr(verb + ": " + strconv.Quote(a) + " needs a value")
			}
			i++
			kvs = append(kvs, keyword{key, args[i]})
		}
	}
	return obj, kvs, false, nil
}

// argParser converts values, keeping the first error.
type argParser struct {
	ctx string // "add tunnel", for messages
	err error
}

func (p *argParser) fail(msg string) {
	if p.err == nil {
		p.err = &usageError{p.ctx + ": " + msg}
	}
}

func (p *argParser) notApplicable(key string) {
	p.fail("keyword " + strconv.Quote(key) + " does not apply to " + strconv.Quote(p.ctx))
}

// uint parses an unsigned integer as iproute2's get_u32/get_u16 do
// (strtoul with base 0: decimal, 0x hex or 0 octal).
func (p *argParser) uint(key, s string, bits int) uint64 {
	if s == "" || strings.ContainsAny(s, "_+-") || strings.HasPrefix(s, "0b") || strings.HasPrefix(s, "0B") ||
		strings.HasPrefix(s, "0o") || strings.HasPrefix(s, "0O") {
		p.fail(key + ": invalid value " + strconv.Quote(s) + ": want an unsigned " + text.Itoa(bits) + "-bit integer")
		return 0
	}
	v, err := strconv.ParseUint(s, 0, bits)
	if err != nil {
		p.fail(key + ": invalid value " + strconv.Quote(s) + ": want an unsigned " + text.Itoa(bits) + "-bit integer")
		return 0
	}
	return v
}

func (p *argParser) id(key, s string) uint32 { return uint32(p.uint(key, s, 32)) }

func (p *argParser) port(key, s string) uint16 { return uint16(p.uint(key, s, 16)) }

func (p *argParser) onOff(key, s string) bool {
	switch s {
	case "on":
		return true
	case "off":
		return false
	}
	p.fail(key + ": invalid value " + strconv.Quote(s) + ": want on or off")
	return false
}

func (p *argParser) addr(key, s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		p.fail(key + ": invalid address " + strconv.Quote(s) + ": want an IPv4 or IPv6 address")
		return netip.Addr{}
	}
	return a.Unmap()
}

// cookie parses 8 or 16 hex digits, as ip does.
func (p *argParser) cookie(key, s string) []byte {
	if len(s) != 8 && len(s) != 16 {
		p.fail(key + ": invalid value " + strconv.Quote(s) + ": want 8 or 16 hex digits (4 or 8 bytes)")
		return nil
	}
	b, ok := decodeHex(s)
	if !ok {
		p.fail(key + ": invalid value " + strconv.Quote(s) + ": not a hex string")
		return nil
	}
	return b
}

// seq applies "seq none|send|recv|both" to send and recv. As in ip, values
// add up: "seq send seq recv" is both.
func (p *argParser) seq(s string, send, recv *bool) {
	switch lowerKeyword(s) {
	case "none":
		*send, *recv = false, false
	case "send":
		*send = true
	case "recv":
		*recv = true
	case "both":
		*send, *recv = true, true
	default:
		p.fail("seq: invalid value " + strconv.Quote(s) + ": want none, send, recv or both")
	}
}

func (p *argParser) ifname(s string) string {
	// The kernel's dev_valid_name, which ip's check_ifname mimics.
	switch {
	case s == "":
		p.fail("name: must not be empty")
	case len(s) > 15:
		p.fail("name: " + strconv.Quote(s) + " is longer than 15 bytes")
	case s == "." || s == "..":
		p.fail("name: " + strconv.Quote(s) + " is not a valid interface name")
	case strings.ContainsAny(s, "/ \t\n\v\f\r:\x00"):
		p.fail("name: " + strconv.Quote(s) + " must not contain '/', ':', NUL or whitespace")
	}
	return s
}

func (p *argParser) timeout(s string) time.Duration {
	ms := p.uint("reorder_timeout", s, 32)
	return time.Duration(ms) * time.Millisecond
}

func (p *argParser) required(key string, v uint32) {
	if v == 0 {
		p.fail("missing " + key + " (1..4294967295)")
	}
}

func (p *argParser) addTunnel(kvs []keyword) *addTunnelCmd {
	c := &addTunnelCmd{Version: 3, Encap: encapUDP, UDP6CsumTx: true, UDP6CsumRx: true}
	var portsGiven []string
	for _, kv := range kvs {
		switch kv.key {
		case "tunnel_id":
			c.TunnelID = p.id(kv.key, kv.val)
		case "peer_tunnel_id":
			c.PeerTunnelID = p.id(kv.key, kv.val)
		case "encap":
			switch kv.val {
			case "udp":
				c.Encap = encapUDP
			case "ip":
				c.Encap = encapIP
			default:
				p.fail("encap: invalid value " + strconv.Quote(kv.val) + ": want ip or udp")
			}
		case "local":
			c.Local = p.addr(kv.key, kv.val)
		case "remote":
			c.Remote = p.addr(kv.key, kv.val)
		case "udp_sport":
			c.UDPSport = p.port(kv.key, kv.val)
			portsGiven = append(portsGiven, kv.key)
		case "udp_dport":
			c.UDPDport = p.port(kv.key, kv.val)
			portsGiven = append(portsGiven, kv.key)
		case "udp_csum":
			c.UDPCsum = p.onOff(kv.key, kv.val)
		case "udp6_csum_tx":
			c.UDP6CsumTx = p.onOff(kv.key, kv.val)
		case "udp6_csum_rx":
			c.UDP6CsumRx = p.onOff(kv.key, kv.val)
		case "version":
			switch kv.val {
			case "2":
				c.Version = 2
			case "3":
				c.Version = 3
			default:
				p.fail("version: invalid value " + strconv.Quote(kv.val) + ": want 2 or 3")
			}
		default:
			p.notApplicable(kv.key)
		}
	}
	// The checks and their order follow ip's do_add.
	p.required("tunnel_id", c.TunnelID)
	p.required("peer_tunnel_id", c.PeerTunnelID)
	if !c.Local.IsValid() {
		p.fail("missing local (an IPv4 or IPv6 address)")
	}
	if !c.Remote.IsValid() {
		p.fail("missing remote (an IPv4 or IPv6 address)")
	}
	if c.Local.IsValid() && c.Remote.IsValid() && c.Local.Is4() != c.Remote.Is4() {
		p.fail("local " + c.Local.String() + " and remote " + c.Remote.String() + " must be of the same address family")
	}
	switch c.Encap {
	case encapUDP:
		if c.UDPSport == 0 {
			p.fail("missing udp_sport (1..65535)")
		}
		if c.UDPDport == 0 {
			p.fail("missing udp_dport (1..65535)")
		}
	case encapIP:
		if len(portsGiven) > 0 {
			p.fail(portsGiven[0] + " applies only to encap udp")
		}
		if c.Version == 2 {
			p.fail("L2TPv2 (version 2) needs encap udp")
		}
	}
	if c.Version == 2 {
		if c.TunnelID > 0xffff || c.PeerTunnelID > 0xffff {
			p.fail("L2TPv2 (version 2) tunnel IDs must be 1..65535")
		}
	}
	return c
}

func (p *argParser) addSession(kvs []keyword) *addSessionCmd {
	c := &addSessionCmd{Pseudowire: pwEth, L2Spec: l2specDefault}
	l2specGiven := false
	for _, kv := range kvs {
		switch kv.key {
		case "name":
			c.Name = p.ifname(kv.val)
		case "tunnel_id":
			c.TunnelID = p.id(kv.key, kv.val)
		case "peer_tunnel_id":
			c.PeerTunnelID = p.id(kv.key, kv.val)
		case "session_id":
			c.SessionID = p.id(kv.key, kv.val)
		case "peer_session_id":
			c.PeerSessionID = p.id(kv.key, kv.val)
		case "cookie":
			c.Cookie = p.cookie(kv.key, kv.val)
		case "peer_cookie":
			c.PeerCookie = p.cookie(kv.key, kv.val)
		case "seq":
			p.seq(kv.val, &c.SendSeq, &c.RecvSeq)
		case "l2spec_type":
			l2specGiven = true
			switch lowerKeyword(kv.val) {
			case "default":
				c.L2Spec = l2specDefault
			case "none":
				c.L2Spec = l2specNone
			default:
				p.fail("l2spec_type: invalid value " + strconv.Quote(kv.val) + ": want none or default")
			}
		case "offset", "peer_offset":
			// Accepted and ignored, as ip does (it warns on stderr; run
			// does the same).
		case "pw":
			switch lowerKeyword(kv.val) {
			case "eth":
				c.Pseudowire = pwEth
			case "ppp":
				c.Pseudowire = pwPPP
			default:
				p.fail("pw: invalid value " + strconv.Quote(kv.val) + ": want eth or ppp")
			}
		case "lns_mode":
			c.LNSMode = p.onOff(kv.key, kv.val)
		case "reorder_timeout":
			c.ReorderTimeout = p.timeout(kv.val)
		default:
			p.notApplicable(kv.key)
		}
	}
	if c.Pseudowire == pwPPP && !l2specGiven {
		// PPP runs over L2TPv2 too, which has no sublayer at all.
		c.L2Spec = l2specNone
	}
	p.required("tunnel_id", c.TunnelID)
	p.required("peer_session_id", c.PeerSessionID)
	p.required("session_id", c.SessionID)
	return c
}

func (p *argParser) delTunnel(kvs []keyword) *delTunnelCmd {
	c := &delTunnelCmd{}
	for _, kv := range kvs {
		switch kv.key {
		case "tunnel_id":
			c.TunnelID = p.id(kv.key, kv.val)
		default:
			p.notApplicable(kv.key)
		}
	}
	p.required("tunnel_id", c.TunnelID)
	return c
}

// sessionLookup parses the keywords that name a session: tunnel_id and
// session_id, or name.
func (p *argParser) sessionLookup(kv keyword, tid, sid *uint32, name *string) bool {
	switch kv.key {
	case "tunnel_id":
		*tid = p.id(kv.key, kv.val)
	case "session_id":
		*sid = p.id(kv.key, kv.val)
	case "name":
		*name = p.ifname(kv.val)
	default:
		return false
	}
	return true
}

func (p *argParser) requireSession(tid, sid uint32, name string) {
	if name != "" {
		if tid != 0 || sid != 0 {
			p.fail("give either name or tunnel_id and session_id, not both")
		}
		return
	}
	p.required("tunnel_id", tid)
	p.required("session_id", sid)
}

func (p *argParser) delSession(kvs []keyword) *delSessionCmd {
	c := &delSessionCmd{}
	for _, kv := range kvs {
		if !p.sessionLookup(kv, &c.TunnelID, &c.SessionID, &c.Name) {
			p.notApplicable(kv.key)
		}
	}
	p.requireSession(c.TunnelID, c.SessionID, c.Name)
	return c
}

func (p *argParser) modifySession(kvs []keyword) *modifySessionCmd {
	c := &modifySessionCmd{}
	for _, kv := range kvs {
		if p.sessionLookup(kv, &c.TunnelID, &c.SessionID, &c.Name) {
			continue
		}
		switch kv.key {
		case "seq":
			if c.SendSeq == nil {
				c.SendSeq, c.RecvSeq = new(bool), new(bool)
			}
			p.seq(kv.val, c.SendSeq, c.RecvSeq)
		case "lns_mode":
			v := p.onOff(kv.key, kv.val)
			c.LNSMode = &v
		case "reorder_timeout":
			v := p.timeout(kv.val)
			c.ReorderTimeout = &v
		default:
			p.notApplicable(kv.key)
		}
	}
	p.requireSession(c.TunnelID, c.SessionID, c.Name)
	if c.SendSeq == nil && c.LNSMode == nil && c.ReorderTimeout == nil {
		p.fail("nothing to change: give seq, lns_mode or reorder_timeout")
	}
	return c
}

func (p *argParser) show(sessions bool, kvs []keyword) *showCmd {
	c := &showCmd{Sessions: sessions}
	for _, kv := range kvs {
		switch {
		case kv.key == "tunnel_id":
			c.TunnelID = p.id(kv.key, kv.val)
		case sessions && kv.key == "session_id":
			c.SessionID = p.id(kv.key, kv.val)
		case sessions && kv.key == "name":
			c.Name = p.ifname(kv.val)
		default:
			p.notApplicable(kv.key)
		}
	}
	return c
}

// ignoredKeywords returns the keywords of args that ip accepts but ignores
// (offset and peer_offset), for run to warn about as ip does.
func ignoredKeywords(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if k, ok := aliases[args[i]]; ok {
			if k == "offset" || k == "peer_offset" {
				out = append(out, k)
			}
			i++
		}
	}
	return out
}
