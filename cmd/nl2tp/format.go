package main

import (
	"encoding/hex"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/nl2tp/nl2tp/internal/text"
)

// Output. Plain and JSON output of "show" follow iproute2's print_tunnel
// and print_session (ip/ipl2tp.c as of iproute2 6.x, with the 2022 fix
// that makes "checksum_rx" report udp6_csum_rx) and its JSON writer
// (lib/json_writer.c): same lines, keys, values and layout. What ip cannot
// show (statistics, L2TPv2, PPP, LNS mode) is added after ip's output and
// only when there is something to say, so output for state ip can create
// is identical.

// printOpts are the global output options.
type printOpts struct {
	json   bool // -j
	pretty bool // -p
	stats  bool // -s
}

// jvalue is one JSON value: a string, number, bool, null or object.
type jvalue struct {
	kind   byte // 's', 'n', 'b', '0' (null), 'o'
	str    string
	num    uint64
	b      bool
	fields []jfield
}

type jfield struct {
	key string
	val jvalue
}

// jobj builds a JSON object in field order.
type jobj []jfield

func (o *jobj) str(k, v string) { *o = append(*o, jfield{k, jvalue{kind: 's', str: v}}) }
func (o *jobj) num(k string, v uint64) {
	*o = append(*o, jfield{k, jvalue{kind: 'n', num: v}})
}
func (o *jobj) boolean(k string, v bool) { *o = append(*o, jfield{k, jvalue{kind: 'b', b: v}}) }
func (o *jobj) null(k string)            { *o = append(*o, jfield{k, jvalue{kind: '0'}}) }
func (o *jobj) obj(k string, v jobj)     { *o = append(*o, jfield{k, jvalue{kind: 'o', fields: v}}) }

// jsonWriter writes JSON laid out as iproute2's json_writer does: compact,
// or with -p four-space indents, "key": value, "[ {" ... "},{" ... "} ]".
type jsonWriter struct {
	b      strings.Builder
	pretty bool
}

func (w *jsonWriter) eol(depth int) {
	if w.pretty {
		w.b.WriteByte('\n')
		for range depth {
			w.b.WriteString("    ")
		}
	}
}

func (w *jsonWriter) object(fields []jfield, depth int) {
	w.b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			w.b.WriteByte(',')
		}
		w.eol(depth + 1)
		w.string(f.key)
		w.b.WriteByte(':')
		if w.pretty {
			w.b.WriteByte(' ')
		}
		w.value(f.val, depth+1)
	}
	if len(fields) > 0 {
		w.eol(depth)
	}
	w.b.WriteByte('}')
}

func (w *jsonWriter) value(v jvalue, depth int) {
	switch v.kind {
	case 's':
		w.string(v.str)
	case 'n':
		w.b.WriteString(strconv.FormatUint(v.num, 10))
	case 'b':
		w.b.WriteString(strconv.FormatBool(v.b))
	case '0':
		w.b.WriteString("null")
	case 'o':
		w.object(v.fields, depth)
	}
}

// array writes objs as iproute2 writes a dump: an array at depth 0 whose
// objects sit at depth 1, then a newline.
func (w *jsonWriter) array(objs []jobj) {
	w.b.WriteByte('[')
	if w.pretty {
		w.b.WriteByte(' ')
	}
	for i, o := range objs {
		if i > 0 {
			w.b.WriteByte(',')
		}
		w.object(o, 1)
	}
	if w.pretty && len(objs) > 0 {
		w.b.WriteByte(' ')
	}
	w.b.WriteString("]\n")
}

// string writes a valid JSON string. (iproute2 escapes the same characters
// except that it also writes \' , which is not JSON.)
func (w *jsonWriter) string(s string) {
	w.b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			w.b.WriteString(`\"`)
		case '\\':
			w.b.WriteString(`\\`)
		case '\n':
			w.b.WriteString(`\n`)
		case '\r':
			w.b.WriteString(`\r`)
		case '\t':
			w.b.WriteString(`\t`)
		case '\f':
			w.b.WriteString(`\f`)
		case '\b':
			w.b.WriteString(`\b`)
		default:
			if c < 0x20 {
				const hexDigits = "0123456789abcdef"
				w.b.WriteString(`\u00`)
				w.b.WriteByte(hexDigits[c>>4])
				w.b.WriteByte(hexDigits[c&0xf])
			} else {
				w.b.WriteByte(c)
			}
		}
	}
	w.b.WriteByte('"')
}

// addrString prints an address as ip does: a missing one as inet_ntop
// prints zeros of the family ip then assumes (IPv6).
func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return "::"
	}
	return a.String()
}

func encapString(e encapType) string {
	switch e {
	case encapUDP:
		return "UDP"
	case encapIP:
		return "IP"
	}
	return "??"
}

func pwString(p pwType) string {
	switch p {
	case pwEth:
		return "eth"
	case pwPPP:
		return "ppp"
	}
	return strconv.Itoa(int(p))
}

// cookieString prints a cookie as ip's print_cookie does for 4 and 8 bytes;
// other lengths (which ip cannot create) are printed in full.
func cookieString(c []byte) string {
	return hex.EncodeToString(c)
}

// statsList is the counters in kernel attribute order with their JSON keys.
func statsList(s *stats) []struct {
	key string
	c   counter
} {
	return []struct {
		key string
		c   counter
	}{
		{"tx_packets", s.TxPackets},
		{"tx_bytes", s.TxBytes},
		{"tx_errors", s.TxErrors},
		{"rx_packets", s.RxPackets},
		{"rx_bytes", s.RxBytes},
		{"rx_seq_discards", s.RxSeqDiscards},
		{"rx_cookie_discards", s.RxCookieDiscards},
		{"rx_oos_packets", s.RxOOSPackets},
		{"rx_errors", s.RxErrors},
		{"rx_invalid", s.RxInvalid},
	}
}

func statsJSON(s *stats) jobj {
	var o jobj
	for _, e := range statsList(s) {
		if e.c.Valid {
			o.num(e.key, e.c.Value)
		}
	}
	return o
}

// writeStatsPlain writes two lines, RX then TX, of the counters present:
//
//	RX: packets 3 bytes 222 errors 0 seq_discards 0 cookie_discards 0 oos_packets 0 invalid 0
//	TX: packets 3 bytes 222 errors 0
func writeStatsPlain(b *strings.Builder, s *stats) {
	for _, dir := range []string{"rx", "tx"} {
		b.WriteString("  " + upperASCII(dir) + ":")
		for _, e := range statsList(s) {
			name, ok := strings.CutPrefix(e.key, dir+"_")
			if ok && e.c.Valid {
				b.WriteString(" " + name + " " + text.Itoa(e.c.Value))
			}
		}
		b.WriteByte('\n')
	}
}

func tunnelJSON(t *tunnel, withStats bool) jobj {
	var o jobj
	o.num("tunnel_id", uint64(t.ID))
	o.str("encap", encapString(t.Encap))
	o.str("local", addrString(t.Local))
	o.str("peer", addrString(t.Remote))
	o.num("peer_tunnel", uint64(t.PeerID))
	if t.Encap == encapUDP {
		o.num("local_port", uint64(t.LocalPort))
		o.num("peer_port", uint64(t.RemotePort))
		if t.Local.Is4() {
			o.boolean("checksum", t.UDPCsum)
		} else {
			o.boolean("checksum_tx", !t.UDP6ZeroCsumTx)
			o.boolean("checksum_rx", !t.UDP6ZeroCsumRx)
		}
	}
	if t.Version != 3 {
		o.num("version", uint64(t.Version))
	}
	if withStats {
		o.obj("stats", statsJSON(&t.Stats))
	}
	return o
}

func writeTunnelPlain(b *strings.Builder, t *tunnel, withStats bool) {
	b.WriteString("Tunnel " + text.Itoa(t.ID) + ", encap " + encapString(t.Encap))
	if t.Version != 3 {
		b.WriteString(", L2TPv" + text.Itoa(t.Version))
	}
	b.WriteByte('\n')
	b.WriteString("  From " + addrString(t.Local) + " to " + addrString(t.Remote) + "\n")
	b.WriteString("  Peer tunnel " + text.Itoa(t.PeerID) + "\n")
	if t.Encap == encapUDP {
		b.WriteString("  UDP source / dest ports: " + text.Itoa(t.LocalPort) + "/" + text.Itoa(t.RemotePort) + "\n")
		if t.Local.Is4() {
			b.WriteString("  UDP checksum: " + map[bool]string{true: "enabled", false: "disabled"}[t.UDPCsum] + "\n")
		} else {
			tx, rx := !t.UDP6ZeroCsumTx, !t.UDP6ZeroCsumRx
			s := "disabled"
			switch {
			case tx && rx:
				s = "enabled"
			case tx:
				s = "tx"
			case rx:
				s = "rx"
			}
			b.WriteString("  UDP checksum: " + s + "\n")
		}
	}
	if withStats {
		writeStatsPlain(b, &t.Stats)
	}
}

func sessionJSON(s *session, withStats bool) jobj {
	var o jobj
	o.num("session_id", uint64(s.SessionID))
	o.num("tunnel_id", uint64(s.TunnelID))
	o.num("peer_session_id", uint64(s.PeerSessionID))
	o.num("peer_tunnel_id", uint64(s.PeerTunnelID))
	if s.Name != "" {
		o.str("interface", s.Name)
	}
	if len(s.Cookie) > 0 {
		o.str("cookie", cookieString(s.Cookie))
	}
	if len(s.PeerCookie) > 0 {
		o.str("peer_cookie", cookieString(s.PeerCookie))
	}
	if s.ReorderTimeout > 0 {
		o.num("reorder_timeout", uint64(s.ReorderTimeout.Milliseconds()))
	}
	if s.SendSeq {
		o.null("send_seq")
	}
	if s.RecvSeq {
		o.null("recv_seq")
	}
	if s.Pseudowire != pwEth {
		o.str("pw_type", pwString(s.Pseudowire))
	}
	if s.LNSMode {
		o.boolean("lns_mode", true)
	}
	if withStats {
		o.obj("stats", statsJSON(&s.Stats))
	}
	return o
}

func writeSessionPlain(b *strings.Builder, s *session, withStats bool) {
	b.WriteString("Session " + text.Itoa(s.SessionID) + " in tunnel " + text.Itoa(s.TunnelID) + "\n")
	b.WriteString("  Peer session " + text.Itoa(s.PeerSessionID) + ", tunnel " + text.Itoa(s.PeerTunnelID) + "\n")
	if s.Name != "" {
		b.WriteString("  interface name: " + s.Name + "\n")
	}
	b.WriteString("  offset 0, peer offset 0\n")
	// ip prints cookies, peer cookie and reorder timeout on one line, then
	// sequence numbering on the next, then ends the line; so a session
	// without any of them ends with an empty line.
	if len(s.Cookie) > 0 {
		b.WriteString("  cookie " + cookieString(s.Cookie))
	}
	if len(s.PeerCookie) > 0 {
		b.WriteString("  peer cookie " + cookieString(s.PeerCookie))
	}
	if s.ReorderTimeout > 0 {
		b.WriteString("  reorder timeout: " + text.Itoa(s.ReorderTimeout.Milliseconds()))
	}
	if s.SendSeq || s.RecvSeq {
		b.WriteString("\n  sequence numbering:")
		if s.SendSeq {
			b.WriteString(" send")
		}
		if s.RecvSeq {
			b.WriteString(" recv")
		}
	}
	b.WriteByte('\n')
	if s.Pseudowire != pwEth {
		b.WriteString("  pseudowire " + upperASCII(pwString(s.Pseudowire)) + "\n")
	}
	if s.LNSMode {
		b.WriteString("  LNS mode on\n")
	}
	if withStats {
		writeStatsPlain(b, &s.Stats)
	}
}

// writeTunnels writes "show tunnel" output.
func writeTunnels(w io.Writer, ts []tunnel, o printOpts) error {
	if o.json {
		objs := make([]jobj, len(ts))
		for i := range ts {
			objs[i] = tunnelJSON(&ts[i], o.stats)
		}
		jw := jsonWriter{pretty: o.pretty}
		jw.array(objs)
		_, err := io.WriteString(w, jw.b.String())
		return err
	}
	var b strings.Builder
	for i := range ts {
		writeTunnelPlain(&b, &ts[i], o.stats)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSessions writes "show session" output.
func writeSessions(w io.Writer, ss []session, o printOpts) error {
	if o.json {
		objs := make([]jobj, len(ss))
		for i := range ss {
			objs[i] = sessionJSON(&ss[i], o.stats)
		}
		jw := jsonWriter{pretty: o.pretty}
		jw.array(objs)
		_, err := io.WriteString(w, jw.b.String())
		return err
	}
	var b strings.Builder
	for i := range ss {
		writeSessionPlain(&b, &ss[i], o.stats)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeEvent writes one monitor event. Plain: a line naming the event,
// then the object as "show" prints it (with its counters under -s). JSON:
// one object per event, one per line unless -p:
//
//	{"event":"create_tunnel","tunnel":{...}}
//	{"event":"delete_session","session":{...}}
//	{"event":"lost"}
func writeEvent(w io.Writer, e event, o printOpts) error {
	if o.json {
		var obj jobj
		switch {
		case e.Lost:
			obj.str("event", "lost")
		case e.Tunnel != nil:
			obj.str("event", e.Kind.String())
			obj.obj("tunnel", tunnelJSON(e.Tunnel, o.stats))
		case e.Session != nil:
			obj.str("event", e.Kind.String())
			obj.obj("session", sessionJSON(e.Session, o.stats))
		}
		jw := jsonWriter{pretty: o.pretty}
		jw.object(obj, 0)
		jw.b.WriteByte('\n')
		_, err := io.WriteString(w, jw.b.String())
		return err
	}
	var b strings.Builder
	switch {
	case e.Lost:
		b.WriteString("[events lost: the receive buffer overflowed]\n")
	case e.Tunnel != nil:
		b.WriteString("[" + strings.ReplaceAll(e.Kind.String(), "_", " ") + "]\n")
		writeTunnelPlain(&b, e.Tunnel, o.stats)
	case e.Session != nil:
		b.WriteString("[" + strings.ReplaceAll(e.Kind.String(), "_", " ") + "]\n")
		writeSessionPlain(&b, e.Session, o.stats)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
