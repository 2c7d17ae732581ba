package l2tp

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

// The fuzz targets of the decoders of tunnel and session messages (GET
// replies, dump parts and events). Their seed corpora under
// testdata/fuzz/ hold the attributes and datagrams captured from real
// kernels (golden-<line>-<operation>.<kind>, written by `make golden`),
// besides the hand-made seeds added here. `make fuzz` runs each target.

const fuzzFamily = 0x22

// fuzzAttrs builds attribute bytes for the hand-made seeds.
func fuzzAttrs(as ...fakeAttr) []byte { return appendAttrs(nil, as) }

// checkDecodeErr checks the form of a decoding error.
func checkDecodeErr(t *testing.T, err error) {
	t.Helper()
	if !strings.HasPrefix(err.Error(), "l2tp: decoding ") {
		t.Errorf("error %q does not start with \"l2tp: decoding \"", err)
	}
	if !isDecodeErr(err) {
		t.Errorf("error %v is not marked as a decoding error", err)
	}
}

// tunnelCreateFields returns the part of t that a TUNNEL_CREATE request
// carries, as decodeTunnel reads it back from one.
func tunnelCreateFields(t Tunnel) Tunnel {
	t.Stats = Stats{}
	if t.Encap != EncapUDP {
		t.LocalPort, t.RemotePort = 0, 0
		t.UDPChecksum, t.UDPZeroChecksum6TX, t.UDPZeroChecksum6RX = false, false, false
	}
	return t
}

// FuzzDecodeTunnel decodes arbitrary attributes as a tunnel message. It
// must not panic nor change its input; an error must say it is one of
// decoding; a tunnel decoded without error, encoded as a TUNNEL_CREATE,
// must decode to the same tunnel (the fields such a request carries).
func FuzzDecodeTunnel(f *testing.F) {
	f.Add([]byte{})
	f.Add(fuzzAttrs(aU32(attrConnID, 5), aU32(attrPeerConnID, 6), aU8(attrProtoVersion, 3), aU16(attrEncapType, 0),
		aBytes(attrIPSaddr, 10, 0, 0, 1), aBytes(attrIPDaddr, 10, 0, 0, 2), aU16(attrUDPSport, 1701), aU16(attrUDPDport, 1701),
		aU8(attrUDPCsum, 1), aNestedNoFlag(attrStats, aStat(statsAttrTxPackets, 7), aStat(statsAttrRxInvalid, 1))))
	f.Add(fuzzAttrs(aU32(attrConnID, 9), aBytes(attrIP6Saddr, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
		aBytes(attrIP6Daddr, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), aFlag(attrUDPZeroCsum6TX), aFlag(attrUDPZeroCsum6RX)))
	f.Add(fuzzAttrs(aU32(attrConnID, 9), aBytes(attrIPSaddr, 10, 0, 0)))               // short address
	f.Add(fuzzAttrs(aNestedNoFlag(attrStats, aRaw(uint16(statsAttrTxPackets), 1, 2)))) // short counter
	f.Fuzz(func(t *testing.T, attrs []byte) {
		in := bytes.Clone(attrs)
		var tu Tunnel
		err := decodeTunnel(attrs, &tu)
		if !bytes.Equal(in, attrs) {
			t.Fatal("decodeTunnel changed its input")
		}
		if err != nil {
			checkDecodeErr(t, err)
			return
		}
		// A TUNNEL_CREATE carries both addresses, of one family.
		if !tu.Local.IsValid() || !tu.Remote.IsValid() || tu.Local.Is4() != tu.Remote.Is4() {
			return
		}
		var e netlinkraw.Encoder
		encodeTunnelCreate(&e, fuzzFamily, &tu, -1)
		msg, err := e.Encoded()
		if err != nil {
			t.Fatalf("encoding %+v: %v", tu, err)
		}
		var got Tunnel
		if err := decodeTunnel(fuzzAttrsOf(t, msg), &got); err != nil {
			t.Fatalf("decoding the re-encoded %+v: %v", tu, err)
		}
		if diff := cmp.Diff(tunnelCreateFields(tu), got, goldenCmp); diff != "" {
			t.Errorf("decode → encode → decode differs (-first +second):\n%s", diff)
		}
	})
}

// fuzzAttrsOf returns the attributes of the one generic netlink message in
// msg.
func fuzzAttrsOf(t *testing.T, msg []byte) []byte {
	t.Helper()
	var d netlinkraw.MessageDecoder
	d.Reset(msg)
	if !d.Next() {
		t.Fatalf("encoded message does not parse: %v", d.Err())
	}
	_, attrs, err := netlinkraw.ParseGenlHeader(d.Payload())
	if err != nil {
		t.Fatal(err)
	}
	return attrs
}

// sessionCreateFields returns the part of s that a SESSION_CREATE request
// for a tunnel of the version carries, as decodeSession reads it back.
func sessionCreateFields(s Session, version uint8) Session {
	s.PeerTunnelID, s.UsingIPSec, s.Stats = 0, false, Stats{}
	if version != 3 {
		s.L2Spec, s.Cookie, s.PeerCookie, s.InterfaceName = 0, nil, nil, ""
	}
	return s
}

// FuzzDecodeSession decodes arbitrary attributes as a session message. It
// must not panic nor change its input; the session must not alias the
// input; an error must say it is one of decoding; a session decoded without
// error, encoded as a SESSION_CREATE (L2TPv3 and L2TPv2), must decode to
// the same session (the fields such a request carries).
func FuzzDecodeSession(f *testing.F) {
	f.Add([]byte{})
	f.Add(fuzzAttrs(aU32(attrConnID, 5), aU32(attrSessionID, 7), aU32(attrPeerSessionID, 8), aU16(attrPWType, 5),
		aStr(attrIfname, "l2tpeth0"), aBytes(attrCookie, 1, 2, 3, 4), aBytes(attrPeerCookie, 1, 2, 3, 4, 5, 6, 7, 8),
		aU8(attrRecvSeq, 1), aU64(attrRecvTimeout, 100), aNestedNoFlag(attrStats, aStat(statsAttrRxBytes, 1500))))
	f.Add(fuzzAttrs(aBytes(attrCookie, 1, 2, 3, 4, 5, 6, 7, 8, 9)))                                  // cookie too long
	f.Add(fuzzAttrs(aU64(attrRecvTimeout, 1<<62)))                                                   // timeout too long for a Duration
	f.Add(fuzzAttrs(aBytes(attrIfname, 'a', 0, 'b', 0), aBytes(attrCookie), aU8(attrL2SpecType, 1))) // NUL inside, empty cookie
	f.Fuzz(func(t *testing.T, input []byte) {
		// The fuzzing engine's input must not be modified: decode a copy,
		// which the alias check below overwrites.
		attrs := bytes.Clone(input)
		var s Session
		err := decodeSession(attrs, &s)
		if !bytes.Equal(input, attrs) {
			t.Fatal("decodeSession changed its input")
		}
		if err != nil {
			checkDecodeErr(t, err)
			return
		}
		// The session owns its bytes: overwriting the input leaves it be.
		before := s
		before.Cookie, before.PeerCookie = slices.Clone(s.Cookie), slices.Clone(s.PeerCookie)
		before.InterfaceName = strings.Clone(s.InterfaceName)
		for i := range attrs {
			attrs[i] = 0xa5
		}
		if diff := cmp.Diff(before, s); diff != "" {
			t.Fatalf("the session aliases its input (-before +after):\n%s", diff)
		}
		for _, version := range []uint8{3, 2} {
			var e netlinkraw.Encoder
			encodeSessionCreate(&e, fuzzFamily, &s, version)
			msg, err := e.Encoded()
			if err != nil {
				t.Fatalf("encoding %+v: %v", s, err)
			}
			var got Session
			if err := decodeSession(fuzzAttrsOf(t, msg), &got); err != nil {
				t.Fatalf("decoding the re-encoded %+v: %v", s, err)
			}
			if diff := cmp.Diff(sessionCreateFields(s, version), got); diff != "" {
				t.Errorf("L2TPv%d: decode → encode → decode differs (-first +second):\n%s", version, diff)
			}
		}
	})
}

// FuzzDecodeEvent feeds an arbitrary datagram to an event subscription of
// the family. It must not panic; it queues at most one entry per message
// of the family, each an error of decoding or an event of a known kind
// whose object is what decoding the message as a reply gives, with the
// header's port ID and sequence number.
func FuzzDecodeEvent(f *testing.F) {
	tunnel := genlPayload(cmdTunnelCreate, aU32(attrConnID, 5), aU8(attrProtoVersion, 3))
	session := genlPayload(cmdSessionDelete, aU32(attrConnID, 5), aU32(attrSessionID, 7), aStr(attrIfname, "l2tpeth0"))
	f.Add(uint16(fuzzFamily), []byte{})
	f.Add(uint16(fuzzFamily), netlinkMsg(fuzzFamily, netlinkraw.FlagAck, 9, 100, tunnel))
	f.Add(uint16(fuzzFamily), append(netlinkMsg(fuzzFamily, netlinkraw.FlagAck, 9, 100, session),
		netlinkMsg(fuzzFamily, 0, 10, 100, genlPayload(cmdTunnelGet, aU32(attrConnID, 1)))...))
	f.Add(uint16(fuzzFamily), netlinkMsg(fuzzFamily, 0, 1, 1, []byte{1}))                                                             // short genl header
	f.Add(uint16(fuzzFamily), netlinkMsg(fuzzFamily, 0, 1, 1, genlPayload(cmdSessionCreate, aBytes(attrCookie, make([]byte, 9)...)))) // bad cookie
	f.Fuzz(func(t *testing.T, family uint16, data []byte) {
		s := &Subscription{family: family}
		var d netlinkraw.MessageDecoder
		d.Reset(data)
		for d.Next() {
			h, payload := d.Header(), d.Payload()
			n := len(s.queue)
			s.add(h, payload)
			added := s.queue[n:]
			if h.Type != family && len(added) != 0 {
				t.Fatalf("a message of type %d, not the family's %d, queued %d entries", h.Type, family, len(added))
			}
			if len(added) > 1 {
				t.Fatalf("one message queued %d entries", len(added))
			}
			if len(added) == 0 {
				continue
			}
			e := added[0]
			if e.err != nil {
				checkDecodeErr(t, e.err)
				continue
			}
			ev := e.ev
			if ev.PortID != h.PortID || ev.Seq != h.Seq {
				t.Errorf("event port %d seq %d, header port %d seq %d", ev.PortID, ev.Seq, h.PortID, h.Seq)
			}
			_, attrs, err := netlinkraw.ParseGenlHeader(payload)
			if err != nil {
				t.Fatalf("an event from a message with a bad header: %v", err)
			}
			switch ev.Kind {
			case EventTunnelCreate, EventTunnelDelete, EventTunnelModify:
				var want Tunnel
				if err := decodeTunnel(attrs, &want); err != nil {
					t.Fatalf("event decoded, reply does not: %v", err)
				}
				if diff := cmp.Diff(Event{Kind: ev.Kind, Tunnel: want, PortID: h.PortID, Seq: h.Seq}, ev, goldenCmp); diff != "" {
					t.Errorf("event differs from the reply decoding (-reply +event):\n%s", diff)
				}
			case EventSessionCreate, EventSessionDelete, EventSessionModify:
				var want Session
				if err := decodeSession(attrs, &want); err != nil {
					t.Fatalf("event decoded, reply does not: %v", err)
				}
				if diff := cmp.Diff(Event{Kind: ev.Kind, Session: want, PortID: h.PortID, Seq: h.Seq}, ev, goldenCmp); diff != "" {
					t.Errorf("event differs from the reply decoding (-reply +event):\n%s", diff)
				}
			default:
				t.Errorf("event of unknown kind %v", ev.Kind)
			}
		}
	})
}
