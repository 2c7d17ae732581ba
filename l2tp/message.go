package l2tp

import (
	"encoding/binary"
	"slices"
	"sync/atomic"
	"unsafe"

	"github.com/nl2tp/nl2tp/internal/text"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

// This file turns values into request messages and reply messages into
// values. It does no I/O and no validation (see validate.go); it uses the
// generated typed codecs of zattr.go for every attribute. Session
// messages, which dumps bring by the thousand, are first read by
// decodeSessionFast, which walks them without an AttrDecoder but decodes
// each payload with the generated dec<Name> helpers; anything it does not
// take is decoded again with the get<Name> helpers (decodeSessionChecked),
// which stay the reference and say what is wrong.

// beginMessage appends the netlink and generic netlink headers of a request
// for cmd. The transport fills in the sequence number and port ID and adds
// NLM_F_REQUEST and NLM_F_ACK (or NLM_F_DUMP).
func beginMessage(e *netlinkraw.Encoder, family uint16, cmd command) int {
	return e.BeginGenlMessage(family, 0, 0, 0, uint8(cmd), genlFamilyVersion)
}

// encodeTunnelCreate appends a TUNNEL_CREATE request. fd >= 0 makes a
// managed tunnel on that socket.
func encodeTunnelCreate(e *netlinkraw.Encoder, family uint16, t *Tunnel, fd int) {
	m := beginMessage(e, family, cmdTunnelCreate)
	putConnID(e, t.ID)
	putPeerConnID(e, t.PeerID)
	putProtoVersion(e, t.Version)
	putEncapType(e, t.Encap)
	if t.Debug != 0 {
		putDebug(e, t.Debug)
	}
	if fd >= 0 {
		putFD(e, int32(fd))
		e.EndMessage(m)
		return
	}
	if t.Local.Is4() {
		// putIPSaddr4 and putIPDaddr4 inline, putIPSaddr and putIPDaddr
		// do not; this is what those do.
		putIPSaddr4(e, t.Local.As4())
		if t.Remote.Is4() {
			putIPDaddr4(e, t.Remote.As4())
		}
	} else {
		putIP6Saddr(e, t.Local)
		putIP6Daddr(e, t.Remote)
	}
	if t.Encap == EncapUDP {
		putUDPSport(e, t.LocalPort)
		putUDPDport(e, t.RemotePort)
		// The kernel reads UDP_CSUM as a flag: any value enables
		// checksums, so it is sent only to enable them.
		if t.UDPChecksum {
			putUDPCsum(e, 1)
		}
		if t.UDPZeroChecksum6TX {
			putUDPZeroCsum6TX(e)
		}
		if t.UDPZeroChecksum6RX {
			putUDPZeroCsum6RX(e)
		}
	}
	e.EndMessage(m)
}

// encodeTunnelID appends a request for cmd that carries only a tunnel ID
// (TUNNEL_DELETE, TUNNEL_GET).
func encodeTunnelID(e *netlinkraw.Encoder, family uint16, cmd command, id uint32) {
	m := beginMessage(e, family, cmd)
	putConnID(e, id)
	e.EndMessage(m)
}

// encodeTunnelModify appends a TUNNEL_MODIFY request.
func encodeTunnelModify(e *netlinkraw.Encoder, family uint16, id uint32, debug DebugFlags) {
	m := beginMessage(e, family, cmdTunnelModify)
	putConnID(e, id)
	putDebug(e, debug)
	e.EndMessage(m)
}

// encodeDump appends a dump request for cmd, with no attributes: the kernel
// ignores filters in dumps.
func encodeDump(e *netlinkraw.Encoder, family uint16, cmd command) {
	m := beginMessage(e, family, cmd)
	e.EndMessage(m)
}

// encodeSessionCreate appends a SESSION_CREATE request for a session in a
// tunnel of the given version.
func encodeSessionCreate(e *netlinkraw.Encoder, family uint16, s *Session, version uint8) {
	m := beginMessage(e, family, cmdSessionCreate)
	putConnID(e, s.TunnelID)
	putSessionID(e, s.ID)
	putPeerSessionID(e, s.PeerID)
	putPWType(e, s.Pseudowire)
	if version == 3 {
		// Absent means L2SpecDefault to the kernel, so it is always
		// sent: the Go zero value means none.
		putL2SpecType(e, s.L2Spec)
		if len(s.Cookie) != 0 {
			putCookie(e, s.Cookie)
		}
		if len(s.PeerCookie) != 0 {
			putPeerCookie(e, s.PeerCookie)
		}
		if s.InterfaceName != "" {
			putIfname(e, s.InterfaceName)
		}
	}
	if s.RecvSeq {
		putRecvSeq(e, 1)
	}
	if s.SendSeq {
		putSendSeq(e, 1)
	}
	if s.LNSMode {
		putLNSMode(e, 1)
	}
	if s.ReorderTimeout != 0 {
		putRecvTimeout(e, s.ReorderTimeout)
	}
	if s.Debug != 0 {
		putDebug(e, s.Debug)
	}
	e.EndMessage(m)
}

// putSessionRef appends what identifies an existing session: its interface
// name if ifname is set, else the tunnel and session IDs.
func putSessionRef(e *netlinkraw.Encoder, tunnelID, id uint32, ifname string) {
	if ifname != "" {
		putIfname(e, ifname)
		return
	}
	putConnID(e, tunnelID)
	putSessionID(e, id)
}

// encodeSessionRef appends a request for cmd that carries only what
// identifies a session (SESSION_DELETE, SESSION_GET).
func encodeSessionRef(e *netlinkraw.Encoder, family uint16, cmd command, tunnelID, id uint32, ifname string) {
	m := beginMessage(e, family, cmd)
	putSessionRef(e, tunnelID, id, ifname)
	e.EndMessage(m)
}

// encodeSessionModify appends a SESSION_MODIFY request setting the four
// settings the kernel can change.
func encodeSessionModify(e *netlinkraw.Encoder, family uint16, s *Session, ifname string) {
	m := beginMessage(e, family, cmdSessionModify)
	putSessionRef(e, s.TunnelID, s.ID, ifname)
	putRecvSeq(e, u8(s.RecvSeq))
	putSendSeq(e, u8(s.SendSeq))
	putLNSMode(e, u8(s.LNSMode))
	putRecvTimeout(e, s.ReorderTimeout)
	e.EndMessage(m)
}

// decodeTunnel decodes the attributes of a tunnel message (a TUNNEL_GET
// reply or a tunnel event) into t. It does not allocate.
func decodeTunnel(attrs []byte, t *Tunnel) error {
	*t = Tunnel{}
	d := netlinkraw.NewAttrDecoder(attrs)
	for d.Next() {
		switch attr(d.Type()) {
		case attrConnID:
			t.ID = getConnID(&d)
		case attrPeerConnID:
			t.PeerID = getPeerConnID(&d)
		case attrProtoVersion:
			t.Version = getProtoVersion(&d)
		case attrEncapType:
			t.Encap = getEncapType(&d)
		case attrDebug:
			t.Debug = getDebug(&d)
		case attrIPSaddr:
			t.Local = getIPSaddr(&d)
		case attrIPDaddr:
			t.Remote = getIPDaddr(&d)
		case attrIP6Saddr:
			t.Local = getIP6Saddr(&d)
		case attrIP6Daddr:
			t.Remote = getIP6Daddr(&d)
		case attrUDPSport:
			t.LocalPort = getUDPSport(&d)
		case attrUDPDport:
			t.RemotePort = getUDPDport(&d)
		case attrUDPCsum:
			t.UDPChecksum = getUDPCsum(&d) != 0
		case attrUDPZeroCsum6TX:
			t.UDPZeroChecksum6TX = getUDPZeroCsum6TX(&d)
		case attrUDPZeroCsum6RX:
			t.UDPZeroChecksum6RX = getUDPZeroCsum6RX(&d)
		case attrStats:
			decodeStats(&d, &t.Stats)
		}
		// PAD and attributes unknown to us (newer kernels add some) are
		// skipped.
	}
	if err := d.Err(); err != nil {
		return &opError{op: "decoding tunnel " + text.Itoa(t.ID), err: err, decoding: true}
	}
	return nil
}

// decodeStats decodes the STATS attribute at d into s. The kernel does not
// mark it NLA_F_NESTED; it is nested all the same.
func decodeStats(d *netlinkraw.AttrDecoder, s *Stats) {
	*s = Stats{}
	nd := d.Nested()
	for nd.Next() {
		switch statsAttr(nd.Type()) {
		case statsAttrTxPackets:
			s.TxPackets, s.Present = getStatsTxPackets(&nd), s.Present|StatTxPackets
		case statsAttrTxBytes:
			s.TxBytes, s.Present = getStatsTxBytes(&nd), s.Present|StatTxBytes
		case statsAttrTxErrors:
			s.TxErrors, s.Present = getStatsTxErrors(&nd), s.Present|StatTxErrors
		case statsAttrRxPackets:
			s.RxPackets, s.Present = getStatsRxPackets(&nd), s.Present|StatRxPackets
		case statsAttrRxBytes:
			s.RxBytes, s.Present = getStatsRxBytes(&nd), s.Present|StatRxBytes
		case statsAttrRxSeqDiscards:
			s.RxSeqDiscards, s.Present = getStatsRxSeqDiscards(&nd), s.Present|StatRxSeqDiscards
		case statsAttrRxCookieDiscards:
			s.RxCookieDiscards, s.Present = getStatsRxCookieDiscards(&nd), s.Present|StatRxCookieDiscards
		case statsAttrRxOOSPackets:
			s.RxOOSPackets, s.Present = getStatsRxOOSPackets(&nd), s.Present|StatRxOOSPackets
		case statsAttrRxErrors:
			s.RxErrors, s.Present = getStatsRxErrors(&nd), s.Present|StatRxErrors
		case statsAttrRxInvalid:
			s.RxInvalid, s.Present = getStatsRxInvalid(&nd), s.Present|StatRxInvalid
		}
	}
	if err := nd.Err(); err != nil {
		d.Fail(text.Wrap("stats: ", err, ""))
	}
}

// sessionBytes holds the variable-length parts of a session message, which
// alias the receive buffer until copied out.
type sessionBytes struct {
	ifname, cookie, peerCookie []byte
}

// decodeSession decodes the attributes of a session message (a SESSION_GET
// reply or a session event) into s. The interface name and cookies are
// copied into one allocation, so a session decodes with at most one.
func decodeSession(attrs []byte, s *Session) error {
	b, ok := decodeSessionFast(attrs, s)
	if !ok {
		if err := decodeSessionChecked(attrs, s, &b); err != nil {
			return err
		}
	}
	b.copyTo(s)
	return nil
}

// decodeSessionChecked decodes a session's fixed-size attributes into s and
// points b at the variable-length ones, without copying them, with the
// generated codecs of zattr.go for every attribute. Callers first try
// decodeSessionFast, which takes only well-formed input and which must
// agree with this; decodeSessionChecked decodes what that refuses again
// from scratch, and reports what is wrong with it.
func decodeSessionChecked(attrs []byte, s *Session, b *sessionBytes) error {
	*s = Session{}
	*b = sessionBytes{}
	d := netlinkraw.NewAttrDecoder(attrs)
	for d.Next() {
		switch attr(d.Type()) {
		case attrConnID:
			s.TunnelID = getConnID(&d)
		case attrSessionID:
			s.ID = getSessionID(&d)
		case attrPeerConnID:
			s.PeerTunnelID = getPeerConnID(&d)
		case attrPeerSessionID:
			s.PeerID = getPeerSessionID(&d)
		case attrPWType:
			s.Pseudowire = getPWType(&d)
		case attrL2SpecType:
			s.L2Spec = getL2SpecType(&d)
		case attrDebug:
			s.Debug = getDebug(&d)
		case attrIfname:
			b.ifname = ifnameBytes(&d)
		case attrCookie:
			b.cookie = getCookie(&d)
		case attrPeerCookie:
			b.peerCookie = getPeerCookie(&d)
		case attrRecvSeq:
			s.RecvSeq = getRecvSeq(&d) != 0
		case attrSendSeq:
			s.SendSeq = getSendSeq(&d) != 0
		case attrLNSMode:
			s.LNSMode = getLNSMode(&d) != 0
		case attrUsingIPSec:
			s.UsingIPSec = getUsingIPSec(&d) != 0
		case attrRecvTimeout:
			s.ReorderTimeout = getRecvTimeout(&d)
		case attrStats:
			decodeStats(&d, &s.Stats)
		}
	}
	if err := d.Err(); err != nil {
		return &opError{op: "decoding session " + text.Itoa(s.ID) + " in tunnel " + text.Itoa(s.TunnelID), err: err, decoding: true}
	}
	return nil
}

// decodeSessionFast decodes what decodeSessionChecked decodes, as fast as
// possible, for the input the kernel sends: it walks the attributes with a
// slice kept in registers rather than an AttrDecoder in memory (nextAttr),
// and decodes their payloads with the generated dec<Name>. It returns
// false, leaving s to be overwritten, at anything that
// decodeSessionChecked would reject: a malformed attribute, trailing
// bytes, a payload of the wrong size, a cookie over 8 bytes, a reorder
// timeout too large for a time.Duration, a malformed STATS. On true, s and
// the sessionBytes returned hold exactly what decodeSessionChecked makes
// of attrs; TestDecodeSessionFast and FuzzDecodeSessionFast check that.
// (The sessionBytes are returned rather than stored through a pointer:
// storing pointers into memory the compiler cannot prove is the stack
// costs write barriers while the garbage collector marks.)
func decodeSessionFast(attrs []byte, s *Session) (b sessionBytes, ok bool) {
	*s = Session{}
	off := 0
	if len(attrs) >= sessionHeadLen && matchWords(attrs[:sessionHeadLen], sessionHeadWords[:]) {
		// The kernel's first six attributes, as it always sends them.
		h := attrs[:sessionHeadLen:sessionHeadLen]
		s.TunnelID, _ = decConnID(h[4:8])
		s.ID, _ = decSessionID(h[12:16])
		s.PeerTunnelID, _ = decPeerConnID(h[20:24])
		s.PeerID, _ = decPeerSessionID(h[28:32])
		s.Debug, _ = decDebug(h[36:40])
		s.Pseudowire, _ = decPWType(h[44:46])
		off = sessionHeadLen
	}
	// Each payload goes through the generated dec<Name> of its attribute,
	// which knows its size and byte order. off moves by whole aligned
	// attributes; past the end (the last attribute may omit its padding)
	// it ends the loop.
	for off < len(attrs) {
		typ, p, next, ok := nextAttr(attrs, off)
		if !ok {
			return b, false
		}
		off = next
		switch attr(typ) {
		case attrConnID:
			v, ok := decConnID(p)
			if !ok {
				return b, false
			}
			s.TunnelID = v
		case attrSessionID:
			v, ok := decSessionID(p)
			if !ok {
				return b, false
			}
			s.ID = v
		case attrPeerConnID:
			v, ok := decPeerConnID(p)
			if !ok {
				return b, false
			}
			s.PeerTunnelID = v
		case attrPeerSessionID:
			v, ok := decPeerSessionID(p)
			if !ok {
				return b, false
			}
			s.PeerID = v
		case attrDebug:
			v, ok := decDebug(p)
			if !ok {
				return b, false
			}
			s.Debug = v
		case attrPWType:
			v, ok := decPWType(p)
			if !ok {
				return b, false
			}
			s.Pseudowire = v
		case attrL2SpecType:
			v, ok := decL2SpecType(p)
			if !ok {
				return b, false
			}
			s.L2Spec = v
		case attrRecvSeq:
			v, ok := decRecvSeq(p)
			if !ok {
				return b, false
			}
			s.RecvSeq = v != 0
		case attrSendSeq:
			v, ok := decSendSeq(p)
			if !ok {
				return b, false
			}
			s.SendSeq = v != 0
		case attrLNSMode:
			v, ok := decLNSMode(p)
			if !ok {
				return b, false
			}
			s.LNSMode = v != 0
		case attrUsingIPSec:
			v, ok := decUsingIPSec(p)
			if !ok {
				return b, false
			}
			s.UsingIPSec = v != 0
		case attrIfname:
			b.ifname, _ = decIfname(p) // always ok
		case attrCookie:
			v, ok := decCookie(p)
			if !ok {
				return b, false
			}
			b.cookie = v
		case attrPeerCookie:
			v, ok := decPeerCookie(p)
			if !ok {
				return b, false
			}
			b.peerCookie = v
		case attrRecvTimeout:
			v, ok := decRecvTimeout(p)
			if !ok {
				return b, false
			}
			s.ReorderTimeout = v
		case attrStats:
			if !decodeStatsFast(p, &s.Stats) {
				return b, false
			}
		}
	}
	return b, true
}

// decodeStatsFast is decodeStats for decodeSessionFast: false for
// anything decodeStats would reject.
func decodeStatsFast(attrs []byte, s *Stats) bool {
	if len(attrs) == statsRunLen && matchWords(attrs, statsRunWords[:]) {
		// The ten counters in the kernel's order.
		p := attrs[:statsRunLen:statsRunLen]
		s.TxPackets, _ = decStatsTxPackets(p[4:12])
		s.TxBytes, _ = decStatsTxBytes(p[16:24])
		s.TxErrors, _ = decStatsTxErrors(p[28:36])
		s.RxPackets, _ = decStatsRxPackets(p[40:48])
		s.RxBytes, _ = decStatsRxBytes(p[52:60])
		s.RxSeqDiscards, _ = decStatsRxSeqDiscards(p[64:72])
		s.RxCookieDiscards, _ = decStatsRxCookieDiscards(p[76:84])
		s.RxOOSPackets, _ = decStatsRxOOSPackets(p[88:96])
		s.RxErrors, _ = decStatsRxErrors(p[100:108])
		s.RxInvalid, _ = decStatsRxInvalid(p[112:120])
		s.Present = StatAll
		return true
	}
	*s = Stats{}
	var present StatsMask
	for off := 0; off < len(attrs); {
		typ, p, next, ok := nextAttr(attrs, off)
		if !ok {
			return false
		}
		off = next
		switch statsAttr(typ) {
		case statsAttrTxPackets:
			v, ok := decStatsTxPackets(p)
			if !ok {
				return false
			}
			s.TxPackets, present = v, present|StatTxPackets
		case statsAttrTxBytes:
			v, ok := decStatsTxBytes(p)
			if !ok {
				return false
			}
			s.TxBytes, present = v, present|StatTxBytes
		case statsAttrTxErrors:
			v, ok := decStatsTxErrors(p)
			if !ok {
				return false
			}
			s.TxErrors, present = v, present|StatTxErrors
		case statsAttrRxPackets:
			v, ok := decStatsRxPackets(p)
			if !ok {
				return false
			}
			s.RxPackets, present = v, present|StatRxPackets
		case statsAttrRxBytes:
			v, ok := decStatsRxBytes(p)
			if !ok {
				return false
			}
			s.RxBytes, present = v, present|StatRxBytes
		case statsAttrRxSeqDiscards:
			v, ok := decStatsRxSeqDiscards(p)
			if !ok {
				return false
			}
			s.RxSeqDiscards, present = v, present|StatRxSeqDiscards
		case statsAttrRxCookieDiscards:
			v, ok := decStatsRxCookieDiscards(p)
			if !ok {
				return false
			}
			s.RxCookieDiscards, present = v, present|StatRxCookieDiscards
		case statsAttrRxOOSPackets:
			v, ok := decStatsRxOOSPackets(p)
			if !ok {
				return false
			}
			s.RxOOSPackets, present = v, present|StatRxOOSPackets
		case statsAttrRxErrors:
			v, ok := decStatsRxErrors(p)
			if !ok {
				return false
			}
			s.RxErrors, present = v, present|StatRxErrors
		case statsAttrRxInvalid:
			v, ok := decStatsRxInvalid(p)
			if !ok {
				return false
			}
			s.RxInvalid, present = v, present|StatRxInvalid
		}
		// PAD, and counters newer than us, are skipped.
	}
	s.Present = present
	return true
}

// The kernel writes a session's attributes in one order
// (l2tp_nl_session_send; /work/shared/KERNEL.md "Replies"): CONN_ID,
// SESSION_ID, PEER_CONN_ID, PEER_SESSION_ID, DEBUG and PW_TYPE first, each
// of fixed size, and the ten counters of STATS always in the same order.
// decodeSessionFast and decodeStatsFast take such a run in one step when
// every attribute header in it is exactly the expected one (length and
// type, no flags), compared as whole 32-bit words; anything else is walked
// attribute by attribute. Both ways decode the same payloads with the same
// dec<Name>, so they agree (TestDecodeSessionRuns).
var (
	sessionHeadWords = [...]uint32{
		attrWord(8, uint16(attrConnID)),
		attrWord(8, uint16(attrSessionID)),
		attrWord(8, uint16(attrPeerConnID)),
		attrWord(8, uint16(attrPeerSessionID)),
		attrWord(8, uint16(attrDebug)),
		attrWord(6, uint16(attrPWType)),
	}
	statsRunWords = [...]uint32{
		attrWord(12, uint16(statsAttrTxPackets)),
		attrWord(12, uint16(statsAttrTxBytes)),
		attrWord(12, uint16(statsAttrTxErrors)),
		attrWord(12, uint16(statsAttrRxPackets)),
		attrWord(12, uint16(statsAttrRxBytes)),
		attrWord(12, uint16(statsAttrRxSeqDiscards)),
		attrWord(12, uint16(statsAttrRxCookieDiscards)),
		attrWord(12, uint16(statsAttrRxOOSPackets)),
		attrWord(12, uint16(statsAttrRxErrors)),
		attrWord(12, uint16(statsAttrRxInvalid)),
	}
)

const (
	sessionHeadLen = len(sessionHeadWords) * 8 // five u32 attributes and a u16, padded
	statsRunLen    = len(statsRunWords) * 12   // ten u64 attributes
)

// attrWord returns the first four bytes of an attribute of length n and
// type typ, read as a host-order uint32.
func attrWord(n, typ uint16) uint32 {
	var h [4]byte
	binary.NativeEndian.PutUint16(h[:], n)
	binary.NativeEndian.PutUint16(h[2:], typ)
	return binary.NativeEndian.Uint32(h[:])
}

// matchWords reports whether b is a run of attributes whose headers are
// words, each attribute as long as b divided by len(words).
func matchWords(b []byte, words []uint32) bool {
	step := len(b) / len(words)
	for i, w := range words {
		if binary.NativeEndian.Uint32(b[i*step:]) != w {
			return false
		}
	}
	return true
}

// copyTo copies the variable-length parts into s with one allocation: the
// cookies and the interface name share it. The cookie slices are capped so
// that appending to them cannot overwrite the name, which is therefore
// never modified.
func (b *sessionBytes) copyTo(s *Session) {
	n := len(b.cookie) + len(b.peerCookie) + len(b.ifname)
	if n == 0 {
		return
	}
	buf := make([]byte, n)
	i := copy(buf, b.cookie)
	if len(b.cookie) != 0 {
		s.Cookie = buf[:i:i]
	}
	j := i + copy(buf[i:], b.peerCookie)
	if len(b.peerCookie) != 0 {
		s.PeerCookie = buf[i:j:j]
	}
	if k := j + copy(buf[j:], b.ifname); k > j {
		s.InterfaceName = unsafe.String(&buf[j], k-j)
	}
}

// sessionList collects the sessions of a dump that its filter selects,
// one message at a time. The number of sessions is known only at the end,
// and growing the result as they come allocates about three times its
// size, in Sessions the garbage collector must scan; so the first growth
// goes straight to the number of sessions the last dump kept
// (sessionDumpHint), and a result left far too big is copied to one of
// the right size. The interface names and cookies of many sessions share
// chunks of sessionArenaSize bytes, so that a dump of n sessions
// allocates O(1) times rather than once per session. Each cookie slice is
// capped at its end, so appending to it cannot overwrite a neighbour; the
// bytes behind the interface names are never written again.
type sessionList struct {
	f     SessionFilter
	ss    []Session
	arena []byte
}

// sessionArenaSize is the size of the chunks that hold the interface names
// and cookies of a dump: about 180 sessions with both cookies.
const sessionArenaSize = 4096

// sessionDumpHint is the number of sessions the last dump kept, at most
// sessionHintMax: what a dump sizes its result for when it first grows.
var sessionDumpHint atomic.Int32

const sessionHintMax = 1 << 16

// add decodes the attributes of one session message and keeps the session
// if the filter selects it.
func (l *sessionList) add(attrs []byte) error {
	// Decode straight into the result's next slot: decoding stores only
	// numbers there (the variable-length parts come back in b), which
	// cost no write barriers, where copying a whole Session into the
	// heap would, while the garbage collector marks. A slot the filter
	// refuses is given back; it holds no pointers yet.
	if len(l.ss) == cap(l.ss) {
		n := len(l.ss)
		if n == 0 {
			n = max(16, int(sessionDumpHint.Load()))
		}
		l.ss = slices.Grow(l.ss, n)
	}
	n := len(l.ss)
	l.ss = l.ss[:n+1]
	s := &l.ss[n]
	b, ok := decodeSessionFast(attrs, s)
	if !ok {
		if err := decodeSessionChecked(attrs, s, &b); err != nil {
			l.ss = l.ss[:n]
			return err
		}
	}
	if !l.f.match(s.TunnelID, b.ifname) {
		l.ss = l.ss[:n]
		return nil
	}
	if k := len(b.cookie) + len(b.peerCookie) + len(b.ifname); k != 0 {
		arena := l.arena
		if cap(arena)-len(arena) < k {
			arena = make([]byte, 0, max(sessionArenaSize, k))
		}
		i := len(arena)
		arena = arena[:i+k]
		l.arena = arena
		buf := arena[i : i+k : i+k]
		j := copy(buf, b.cookie)
		if len(b.cookie) != 0 {
			s.Cookie = buf[:j:j]
		}
		m := j + copy(buf[j:], b.peerCookie)
		if len(b.peerCookie) != 0 {
			s.PeerCookie = buf[j:m:m]
		}
		if len(b.ifname) != 0 {
			copy(buf[m:], b.ifname)
			s.InterfaceName = unsafe.String(&buf[m], len(b.ifname))
		}
	}
	return nil
}

// sessions returns the sessions kept (nil for none) and records their
// number in sessionDumpHint.
func (l *sessionList) sessions() []Session {
	ss := l.ss
	sessionDumpHint.Store(int32(min(len(ss), sessionHintMax)))
	if len(ss) == 0 {
		return nil
	}
	if cap(ss)-len(ss) > len(ss)/4+16 {
		// Far too big (sessions gone since the last dump, or growth
		// by doubling): keep only what is needed.
		ss = slices.Clone(ss)
	}
	return ss
}

// u8 encodes a bool as the kernel's u8 booleans.
func u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// ifnameBytes decodes L2TP_ATTR_IFNAME (a string) like the generated
// getIfname, but without copying: the result aliases the decoder's buffer,
// so that decodeSession can copy it together with the cookies. (After an
// error d.Bytes() is empty.)
func ifnameBytes(d *netlinkraw.AttrDecoder) []byte {
	v, _ := decIfname(d.Bytes())
	return v
}
