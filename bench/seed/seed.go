// Package seed does the operations that nl2tp's l2tp package benchmarks,
// the way the seed project's go-l2tp (internal/nll2tp) does them: requests
// as []netlink.Attribute built with nlenc, marshalled with
// netlink.MarshalAttributes, wrapped in a genetlink.Message and then in a
// netlink.Message, as genetlink.Conn.Execute and netlink.Conn do before
// sendmsg; replies parsed into netlink.Messages as netlink.Conn.Receive
// does, unpacked into genetlink.Messages as genetlink.Conn.Receive does, and
// decoded with netlink.AttributeDecoder.
//
// It lives in a module of its own so that nl2tp's module stays free of
// mdlayher/netlink. Only the benchmarks use it.
package seed

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nlenc"
)

// Numbers from <linux/l2tp.h>.
const (
	cmdTunnelCreate  = 1
	cmdSessionCreate = 5
	cmdSessionGet    = 8

	attrPWType        = 1
	attrEncapType     = 2
	attrL2SpecType    = 5
	attrProtoVersion  = 7
	attrIfname        = 8
	attrConnID        = 9
	attrPeerConnID    = 10
	attrSessionID     = 11
	attrPeerSessionID = 12
	attrUDPCsum       = 13
	attrCookie        = 15
	attrPeerCookie    = 16
	attrDebug         = 17
	attrRecvSeq       = 18
	attrSendSeq       = 19
	attrLNSMode       = 20
	attrUsingIPSec    = 21
	attrRecvTimeout   = 22
	attrIPSaddr       = 24
	attrIPDaddr       = 25
	attrUDPSport      = 26
	attrUDPDport      = 27
	attrStats         = 30
	attrIP6Saddr      = 31
	attrIP6Daddr      = 32

	statsTxPackets        = 1
	statsTxBytes          = 2
	statsTxErrors         = 3
	statsRxPackets        = 4
	statsRxBytes          = 5
	statsRxSeqDiscards    = 6
	statsRxOOSPackets     = 7
	statsRxErrors         = 8
	statsRxCookieDiscards = 10
	statsRxInvalid        = 11

	genlVersion = 1
)

// TunnelConfig is a static tunnel to create, as nll2tp's TunnelConfig plus
// the arguments of its CreateStaticTunnel.
type TunnelConfig struct {
	ID, PeerID            uint32
	Version               uint8
	Encap                 uint16
	Debug                 uint32
	Local, Remote         netip.Addr
	LocalPort, RemotePort uint16
	UDPChecksum           bool
}

// Session is a session to create or one decoded from a reply, with the
// same fields as nl2tp's l2tp.Session.
type Session struct {
	TunnelID, ID, PeerID, PeerTunnelID uint32
	Pseudowire                         uint16
	L2Spec                             uint8
	Cookie, PeerCookie                 []byte
	InterfaceName                      string
	RecvSeq, SendSeq, LNSMode          bool
	UsingIPSec                         bool
	ReorderTimeout                     time.Duration
	Debug                              uint32
	Stats                              Stats
}

// Stats holds a session's counters.
type Stats struct {
	TxPackets, TxBytes, TxErrors             uint64
	RxPackets, RxBytes, RxSeqDiscards        uint64
	RxCookieDiscards, RxOOSPackets, RxErrors uint64
	RxInvalid                                uint64
}

// request turns attributes into the bytes sendmsg gets, as
// genetlink.Conn.Execute (packMessage) and netlink.Conn (fixMsg, then
// Message.MarshalBinary) do.
func request(family uint16, cmd uint8, attrs []netlink.Attribute) ([]byte, error) {
	b, err := netlink.MarshalAttributes(attrs)
	if err != nil {
		return nil, err
	}
	gm := genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: genlVersion},
		Data:   b,
	}
	gb, err := gm.MarshalBinary()
	if err != nil {
		return nil, err
	}
	nm := netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(family),
			Flags: netlink.Request | netlink.Acknowledge,
		},
		Data: gb,
	}
	nm.Header.Length = uint32(nlmsgAlign(16 + len(nm.Data)))
	return nm.MarshalBinary()
}

func nlmsgAlign(n int) int { return (n + 3) &^ 3 }

func u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// EncodeTunnelCreate builds a TUNNEL_CREATE request for a static tunnel,
// as nll2tp's tunnelCreateAttr and CreateStaticTunnel do, with nl2tp's
// choice of attributes (DEBUG only when set, UDP_CSUM only to enable it,
// ports only with UDP) so that both produce the same bytes.
func EncodeTunnelCreate(family uint16, c *TunnelConfig) ([]byte, error) {
	attrs := []netlink.Attribute{
		{Type: attrConnID, Data: nlenc.Uint32Bytes(c.ID)},
		{Type: attrPeerConnID, Data: nlenc.Uint32Bytes(c.PeerID)},
		{Type: attrProtoVersion, Data: nlenc.Uint8Bytes(c.Version)},
		{Type: attrEncapType, Data: nlenc.Uint16Bytes(c.Encap)},
	}
	if c.Debug != 0 {
		attrs = append(attrs, netlink.Attribute{Type: attrDebug, Data: nlenc.Uint32Bytes(c.Debug)})
	}
	local, remote := c.Local.AsSlice(), c.Remote.AsSlice()
	switch len(local) {
	case 4:
		attrs = append(attrs,
			netlink.Attribute{Type: attrIPSaddr, Data: local},
			netlink.Attribute{Type: attrIPDaddr, Data: remote})
	case 16:
		attrs = append(attrs,
			netlink.Attribute{Type: attrIP6Saddr, Data: local},
			netlink.Attribute{Type: attrIP6Daddr, Data: remote})
	default:
		return nil, errors.New("seed: tunnel needs a local address")
	}
	if c.Encap == 0 {
		attrs = append(attrs,
			netlink.Attribute{Type: attrUDPSport, Data: nlenc.Uint16Bytes(c.LocalPort)},
			netlink.Attribute{Type: attrUDPDport, Data: nlenc.Uint16Bytes(c.RemotePort)})
		if c.UDPChecksum {
			attrs = append(attrs, netlink.Attribute{Type: attrUDPCsum, Data: nlenc.Uint8Bytes(1)})
		}
	}
	return request(family, cmdTunnelCreate, attrs)
}

// EncodeSessionCreate builds an L2TPv3 SESSION_CREATE request in the same
// style, with the same attributes in the same order as nl2tp.
func EncodeSessionCreate(family uint16, s *Session) ([]byte, error) {
	attrs := []netlink.Attribute{
		{Type: attrConnID, Data: nlenc.Uint32Bytes(s.TunnelID)},
		{Type: attrSessionID, Data: nlenc.Uint32Bytes(s.ID)},
		{Type: attrPeerSessionID, Data: nlenc.Uint32Bytes(s.PeerID)},
		{Type: attrPWType, Data: nlenc.Uint16Bytes(s.Pseudowire)},
		{Type: attrL2SpecType, Data: nlenc.Uint8Bytes(s.L2Spec)},
	}
	if len(s.Cookie) != 0 {
		attrs = append(attrs, netlink.Attribute{Type: attrCookie, Data: s.Cookie})
	}
	if len(s.PeerCookie) != 0 {
		attrs = append(attrs, netlink.Attribute{Type: attrPeerCookie, Data: s.PeerCookie})
	}
	if s.InterfaceName != "" {
		attrs = append(attrs, netlink.Attribute{Type: attrIfname, Data: nlenc.Bytes(s.InterfaceName)})
	}
	if s.RecvSeq {
		attrs = append(attrs, netlink.Attribute{Type: attrRecvSeq, Data: nlenc.Uint8Bytes(1)})
	}
	if s.SendSeq {
		attrs = append(attrs, netlink.Attribute{Type: attrSendSeq, Data: nlenc.Uint8Bytes(1)})
	}
	if s.LNSMode {
		attrs = append(attrs, netlink.Attribute{Type: attrLNSMode, Data: nlenc.Uint8Bytes(1)})
	}
	if s.ReorderTimeout != 0 {
		attrs = append(attrs, netlink.Attribute{Type: attrRecvTimeout, Data: nlenc.Uint64Bytes(uint64(s.ReorderTimeout.Milliseconds()))})
	}
	if s.Debug != 0 {
		attrs = append(attrs, netlink.Attribute{Type: attrDebug, Data: nlenc.Uint32Bytes(s.Debug)})
	}
	return request(family, cmdSessionCreate, attrs)
}

// receive parses the messages of one datagram as netlink.Conn.Receive
// does (its parseMessagesIter: netlink.Message.UnmarshalBinary on each,
// appended to a slice; the final DONE of a dump dropped), then unpacks them
// as genetlink.Conn.Receive does.
func receive(b []byte) ([]genetlink.Message, error) {
	var msgs []netlink.Message
	for len(b) >= 16 {
		l := binary.NativeEndian.Uint32(b)
		al := nlmsgAlign(int(l))
		if int(l) < 16 || al > len(b) {
			return nil, errors.New("seed: bad message length")
		}
		var m netlink.Message
		if err := m.UnmarshalBinary(b[:al]); err != nil {
			return nil, err
		}
		b = b[al:]
		if m.Header.Type == netlink.Done {
			break
		}
		msgs = append(msgs, m)
	}
	gmsgs := make([]genetlink.Message, 0, len(msgs))
	for _, nm := range msgs {
		var gm genetlink.Message
		if err := gm.UnmarshalBinary(nm.Data); err != nil {
			return nil, err
		}
		gmsgs = append(gmsgs, gm)
	}
	return gmsgs, nil
}

// decodeSession decodes a session message with an AttributeDecoder.
func decodeSession(gm genetlink.Message, s *Session) error {
	ad, err := netlink.NewAttributeDecoder(gm.Data)
	if err != nil {
		return err
	}
	for ad.Next() {
		switch ad.Type() {
		case attrConnID:
			s.TunnelID = ad.Uint32()
		case attrSessionID:
			s.ID = ad.Uint32()
		case attrPeerConnID:
			s.PeerTunnelID = ad.Uint32()
		case attrPeerSessionID:
			s.PeerID = ad.Uint32()
		case attrPWType:
			s.Pseudowire = ad.Uint16()
		case attrL2SpecType:
			s.L2Spec = ad.Uint8()
		case attrDebug:
			s.Debug = ad.Uint32()
		case attrIfname:
			s.InterfaceName = ad.String()
		case attrCookie:
			s.Cookie = ad.Bytes()
		case attrPeerCookie:
			s.PeerCookie = ad.Bytes()
		case attrRecvSeq:
			s.RecvSeq = ad.Uint8() != 0
		case attrSendSeq:
			s.SendSeq = ad.Uint8() != 0
		case attrLNSMode:
			s.LNSMode = ad.Uint8() != 0
		case attrUsingIPSec:
			s.UsingIPSec = ad.Uint8() != 0
		case attrRecvTimeout:
			s.ReorderTimeout = time.Duration(ad.Uint64()) * time.Millisecond
		case attrStats:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					switch nad.Type() {
					case statsTxPackets:
						s.Stats.TxPackets = nad.Uint64()
					case statsTxBytes:
						s.Stats.TxBytes = nad.Uint64()
					case statsTxErrors:
						s.Stats.TxErrors = nad.Uint64()
					case statsRxPackets:
						s.Stats.RxPackets = nad.Uint64()
					case statsRxBytes:
						s.Stats.RxBytes = nad.Uint64()
					case statsRxSeqDiscards:
						s.Stats.RxSeqDiscards = nad.Uint64()
					case statsRxCookieDiscards:
						s.Stats.RxCookieDiscards = nad.Uint64()
					case statsRxOOSPackets:
						s.Stats.RxOOSPackets = nad.Uint64()
					case statsRxErrors:
						s.Stats.RxErrors = nad.Uint64()
					case statsRxInvalid:
						s.Stats.RxInvalid = nad.Uint64()
					}
				}
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		return fmt.Errorf("seed: session %d: %w", s.ID, err)
	}
	return nil
}

// DecodeSessionGet decodes the datagram of a SESSION_GET reply.
func DecodeSessionGet(b []byte) (Session, error) {
	gmsgs, err := receive(b)
	if err != nil {
		return Session{}, err
	}
	if len(gmsgs) != 1 {
		return Session{}, fmt.Errorf("seed: %d replies, want 1", len(gmsgs))
	}
	var s Session
	if err := decodeSession(gmsgs[0], &s); err != nil {
		return Session{}, err
	}
	return s, nil
}

// DecodeDump decodes the datagrams of a SESSION_GET dump.
func DecodeDump(b []byte) ([]Session, error) {
	gmsgs, err := receive(b)
	if err != nil {
		return nil, err
	}
	ss := make([]Session, 0, len(gmsgs))
	for _, gm := range gmsgs {
		var s Session
		if err := decodeSession(gm, &s); err != nil {
			return nil, err
		}
		ss = append(ss, s)
	}
	return ss, nil
}
