package l2tp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

// Canned kernel replies, attribute by attribute in the order the kernel
// (l2tp_nl_tunnel_send, l2tp_nl_session_send) writes them.

func statsAttrs(n uint64) fakeAttr {
	return aNestedNoFlag(attrStats,
		aStat(statsAttrTxPackets, n+1), aStat(statsAttrTxBytes, n+2), aStat(statsAttrTxErrors, n+3),
		aStat(statsAttrRxPackets, n+4), aStat(statsAttrRxBytes, n+5), aStat(statsAttrRxSeqDiscards, n+6),
		aStat(statsAttrRxCookieDiscards, n+7), aStat(statsAttrRxOOSPackets, n+8), aStat(statsAttrRxErrors, n+9),
		aStat(statsAttrRxInvalid, n+10))
}

func wantStats(n uint64) Stats {
	return Stats{TxPackets: n + 1, TxBytes: n + 2, TxErrors: n + 3, RxPackets: n + 4, RxBytes: n + 5,
		RxSeqDiscards: n + 6, RxCookieDiscards: n + 7, RxOOSPackets: n + 8, RxErrors: n + 9, RxInvalid: n + 10,
		Present: StatAll}
}

// tunnel4Reply is a TUNNEL_GET reply for an IPv4 UDP tunnel.
func tunnel4Reply(id, peer uint32) []byte {
	return genlPayload(cmdTunnelGet,
		aU8(attrProtoVersion, 3), aU32(attrConnID, id), aU32(attrPeerConnID, peer), aU32(attrDebug, 0),
		aU16(attrEncapType, uint16(EncapUDP)), statsAttrs(100),
		aU8(attrUDPCsum, 1), aU16(attrUDPSport, 1701), aU16(attrUDPDport, 1702),
		aBytes(attrIPSaddr, 192, 0, 2, 1), aBytes(attrIPDaddr, 192, 0, 2, 2))
}

func wantTunnel4(id, peer uint32) Tunnel {
	return Tunnel{ID: id, PeerID: peer, Version: 3, Encap: EncapUDP,
		Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("192.0.2.2"),
		LocalPort: 1701, RemotePort: 1702, UDPChecksum: true, Stats: wantStats(100)}
}

// tunnelVReply is a minimal TUNNEL_GET reply giving a tunnel's version.
func tunnelVReply(id uint32, version uint8) []byte {
	return genlPayload(cmdTunnelGet, aU8(attrProtoVersion, version), aU32(attrConnID, id), aU32(attrPeerConnID, id+1000))
}

// sessionReply is a SESSION_GET reply for an L2TPv3 Ethernet session with
// cookies and an interface name.
func sessionReply(tid, sid uint32, ifname string) []byte {
	return genlPayload(cmdSessionGet,
		aU32(attrConnID, tid), aU32(attrSessionID, sid), aU32(attrPeerConnID, tid+1000), aU32(attrPeerSessionID, sid+1000),
		aU32(attrDebug, 0), aU16(attrPWType, uint16(PseudowireEth)), aStr(attrIfname, ifname),
		aBytes(attrCookie, 1, 2, 3, 4), aBytes(attrPeerCookie, 5, 6, 7, 8, 9, 10, 11, 12),
		aU8(attrRecvSeq, 1), aU8(attrSendSeq, 0), aU8(attrLNSMode, 1), aU8(attrUsingIPSec, 1),
		aU64(attrRecvTimeout, 250), statsAttrs(200))
}

func wantSession(tid, sid uint32, ifname string) Session {
	return Session{TunnelID: tid, ID: sid, PeerTunnelID: tid + 1000, PeerID: sid + 1000, Pseudowire: PseudowireEth,
		InterfaceName: ifname, Cookie: []byte{1, 2, 3, 4}, PeerCookie: []byte{5, 6, 7, 8, 9, 10, 11, 12},
		RecvSeq: true, LNSMode: true, UsingIPSec: true, ReorderTimeout: 250 * time.Millisecond, Stats: wantStats(200)}
}

var ctx = context.Background()

// cmpAddr compares netip.Addr values, which cmp cannot look into.
var cmpAddr = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func TestCreateTunnel(t *testing.T) {
	v4a, v4b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	tests := []struct {
		name  string
		in    Tunnel
		attrs []fakeAttr
	}{
		{
			name: "IPv4 UDP with checksums",
			in:   Tunnel{ID: 5, PeerID: 6, Version: 3, Local: v4a, Remote: v4b, LocalPort: 1701, RemotePort: 1702, UDPChecksum: true},
			attrs: []fakeAttr{
				aU32(attrConnID, 5), aU32(attrPeerConnID, 6), aU8(attrProtoVersion, 3), aU16(attrEncapType, 0),
				aBytes(attrIPSaddr, 192, 0, 2, 1), aBytes(attrIPDaddr, 192, 0, 2, 2),
				aU16(attrUDPSport, 1701), aU16(attrUDPDport, 1702), aU8(attrUDPCsum, 1),
			},
		},
		{
			// The kernel reads UDP_CSUM as a flag: sending 0 would
			// enable checksums, so nothing is sent.
			name: "IPv4 UDP without checksums sends no UDP_CSUM",
			in:   Tunnel{ID: 5, PeerID: 6, Version: 2, Local: v4a, Remote: v4b, RemotePort: 1701},
			attrs: []fakeAttr{
				aU32(attrConnID, 5), aU32(attrPeerConnID, 6), aU8(attrProtoVersion, 2), aU16(attrEncapType, 0),
				aBytes(attrIPSaddr, 192, 0, 2, 1), aBytes(attrIPDaddr, 192, 0, 2, 2),
				aU16(attrUDPSport, 0), aU16(attrUDPDport, 1701),
			},
		},
		{
			name: "IPv6 UDP zero checksums",
			in: Tunnel{ID: 70000, PeerID: 80000, Version: 3, Local: v6a, Remote: v6b, LocalPort: 1, RemotePort: 2,
				UDPZeroChecksum6TX: true, UDPZeroChecksum6RX: true, Debug: DebugMsgControl},
			attrs: []fakeAttr{
				aU32(attrConnID, 70000), aU32(attrPeerConnID, 80000), aU8(attrProtoVersion, 3), aU16(attrEncapType, 0),
				aU32(attrDebug, 2),
				aBytes(attrIP6Saddr, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
				aBytes(attrIP6Daddr, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2),
				aU16(attrUDPSport, 1), aU16(attrUDPDport, 2), aFlag(attrUDPZeroCsum6TX), aFlag(attrUDPZeroCsum6RX),
			},
		},
		{
			name: "IPv6 only RX zero checksums",
			in:   Tunnel{ID: 1, PeerID: 2, Version: 3, Local: v6a, Remote: v6b, RemotePort: 2, UDPZeroChecksum6RX: true},
			attrs: []fakeAttr{
				aU32(attrConnID, 1), aU32(attrPeerConnID, 2), aU8(attrProtoVersion, 3), aU16(attrEncapType, 0),
				aBytes(attrIP6Saddr, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
				aBytes(attrIP6Daddr, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2),
				aU16(attrUDPSport, 0), aU16(attrUDPDport, 2), aFlag(attrUDPZeroCsum6RX),
			},
		},
		{
			name: "IPv4 IP encapsulation has no ports",
			in:   Tunnel{ID: 5, PeerID: 6, Version: 3, Encap: EncapIP, Local: v4a, Remote: v4b},
			attrs: []fakeAttr{
				aU32(attrConnID, 5), aU32(attrPeerConnID, 6), aU8(attrProtoVersion, 3), aU16(attrEncapType, 1),
				aBytes(attrIPSaddr, 192, 0, 2, 1), aBytes(attrIPDaddr, 192, 0, 2, 2),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := newTestConn(t,
				req(cmdTunnelCreate, tt.attrs...),
				req(cmdTunnelGet, aU32(attrConnID, tt.in.ID)).reply(tunnel4Reply(tt.in.ID, 6)),
			)
			got, err := c.CreateTunnel(ctx, tt.in)
			if err != nil {
				t.Fatalf("CreateTunnel: %v", err)
			}
			if diff := cmp.Diff(wantTunnel4(tt.in.ID, 6), got, cmpAddr); diff != "" {
				t.Errorf("unexpected tunnel (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateTunnelExists(t *testing.T) {
	c, _, _ := newTestConn(t, req(cmdTunnelCreate,
		aU32(attrConnID, 5), aU32(attrPeerConnID, 6), aU8(attrProtoVersion, 3), aU16(attrEncapType, 1),
		aBytes(attrIPSaddr, 192, 0, 2, 1), aBytes(attrIPDaddr, 192, 0, 2, 2),
	).fail(syscall.EEXIST, ""))
	_, err := c.CreateTunnel(ctx, Tunnel{ID: 5, PeerID: 6, Version: 3, Encap: EncapIP,
		Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("192.0.2.2")})
	if !errors.Is(err, fs.ErrExist) || !errors.Is(err, syscall.EEXIST) {
		t.Fatalf("CreateTunnel: got %v, want an error matching fs.ErrExist and EEXIST", err)
	}
	if want := "l2tp: create tunnel 5: tunnel ID already in use"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func TestCreateManagedTunnel(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	fd := uint32(r.Fd())
	c, _, _ := newTestConn(t,
		req(cmdTunnelCreate, aU32(attrConnID, 9), aU32(attrPeerConnID, 10), aU8(attrProtoVersion, 2),
			aU16(attrEncapType, 0), aU32(attrFD, fd)),
		req(cmdTunnelGet, aU32(attrConnID, 9)).reply(tunnel4Reply(9, 6)),
	)
	// The addresses are the socket's business: they are not sent.
	in := Tunnel{ID: 9, PeerID: 10, Version: 2, Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("192.0.2.2"), RemotePort: 1701}
	got, err := c.CreateManagedTunnel(ctx, in, r)
	if err != nil {
		t.Fatalf("CreateManagedTunnel: %v", err)
	}
	if got.ID != 9 {
		t.Errorf("got tunnel %d, want 9", got.ID)
	}
}

func TestCreateManagedTunnelBusy(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	c, _, _ := newTestConn(t,
		req(cmdTunnelCreate, aU32(attrConnID, 9), aU32(attrPeerConnID, 10), aU8(attrProtoVersion, 3),
			aU16(attrEncapType, 1), aU32(attrFD, uint32(r.Fd()))).fail(syscall.EBUSY, ""),
	)
	_, err = c.CreateManagedTunnel(ctx, Tunnel{ID: 9, PeerID: 10, Version: 3, Encap: EncapIP}, r)
	if !errors.Is(err, syscall.EBUSY) || !strings.Contains(err.Error(), "already carries a tunnel") {
		t.Errorf("CreateManagedTunnel: got %v, want EBUSY explained", err)
	}
	if _, err := c.CreateManagedTunnel(ctx, Tunnel{ID: 9, PeerID: 10, Version: 3}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("CreateManagedTunnel(nil socket): got %v, want ErrInvalid", err)
	}
}

func TestDeleteTunnel(t *testing.T) {
	c, _, _ := newTestConn(t,
		req(cmdTunnelDelete, aU32(attrConnID, 5)),
		req(cmdTunnelDelete, aU32(attrConnID, 6)).fail(syscall.ENODEV, ""),
	)
	if err := c.DeleteTunnel(ctx, 5); err != nil {
		t.Fatalf("DeleteTunnel(5): %v", err)
	}
	err := c.DeleteTunnel(ctx, 6)
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, syscall.ENODEV) {
		t.Fatalf("DeleteTunnel(6): got %v, want ErrNotFound and ENODEV", err)
	}
	if want := "l2tp: delete tunnel 6: tunnel not found: netlinkraw: request: no such device"; err.Error() != want {
		t.Errorf("got error %q, want %q", err, want)
	}
	if err := c.DeleteTunnel(ctx, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("DeleteTunnel(0): got %v, want ErrInvalid", err)
	}
}

func TestModifyTunnel(t *testing.T) {
	c, _, _ := newTestConn(t, req(cmdTunnelModify, aU32(attrConnID, 5), aU32(attrDebug, 0xf)))
	if err := c.ModifyTunnel(ctx, 5, DebugMsgDebug|DebugMsgControl|DebugMsgSeq|DebugMsgData); err != nil {
		t.Fatalf("ModifyTunnel: %v", err)
	}
}

func TestGetTunnel(t *testing.T) {
	c, _, _ := newTestConn(t,
		req(cmdTunnelGet, aU32(attrConnID, 5)).reply(tunnel4Reply(5, 6)),
		req(cmdTunnelGet, aU32(attrConnID, 7)).fail(syscall.ENODEV, ""),
		req(cmdTunnelGet, aU32(attrConnID, 8)),
	)
	got, err := c.GetTunnel(ctx, 5)
	if err != nil {
		t.Fatalf("GetTunnel: %v", err)
	}
	if diff := cmp.Diff(wantTunnel4(5, 6), got, cmpAddr); diff != "" {
		t.Errorf("unexpected tunnel (-want +got):\n%s", diff)
	}
	if _, err := c.GetTunnel(ctx, 7); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetTunnel(7): got %v, want ErrNotFound", err)
	}
	if _, err := c.GetTunnel(ctx, 8); err == nil || !strings.Contains(err.Error(), "no tunnel") {
		t.Errorf("GetTunnel(8) with an empty reply: got %v, want an error", err)
	}
}

func TestGetTunnelIPv6(t *testing.T) {
	reply := genlPayload(cmdTunnelGet,
		aU8(attrProtoVersion, 3), aU32(attrConnID, 5), aU32(attrPeerConnID, 6), aU32(attrDebug, 0),
		aU16(attrEncapType, uint16(EncapUDP)), statsAttrs(0),
		aFlag(attrUDPZeroCsum6TX), aFlag(attrUDPZeroCsum6RX), aU16(attrUDPSport, 1701), aU16(attrUDPDport, 1702),
		aBytes(attrIP6Saddr, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
		aBytes(attrIP6Daddr, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2))
	c, _, _ := newTestConn(t, req(cmdTunnelGet, aU32(attrConnID, 5)).reply(reply))
	got, err := c.GetTunnel(ctx, 5)
	if err != nil {
		t.Fatalf("GetTunnel: %v", err)
	}
	want := Tunnel{ID: 5, PeerID: 6, Version: 3, Local: netip.MustParseAddr("2001:db8::1"), Remote: netip.MustParseAddr("2001:db8::2"),
		LocalPort: 1701, RemotePort: 1702, UDPZeroChecksum6TX: true, UDPZeroChecksum6RX: true, Stats: wantStats(0)}
	if diff := cmp.Diff(want, got, cmpAddr); diff != "" {
		t.Errorf("unexpected tunnel (-want +got):\n%s", diff)
	}
}

func TestListTunnels(t *testing.T) {
	c, _, _ := newTestConn(t,
		dump(cmdTunnelGet).reply(tunnel4Reply(5, 6), tunnel4Reply(7, 8)),
		dump(cmdTunnelGet),
	)
	got, err := c.ListTunnels(ctx)
	if err != nil {
		t.Fatalf("ListTunnels: %v", err)
	}
	if diff := cmp.Diff([]Tunnel{wantTunnel4(5, 6), wantTunnel4(7, 8)}, got, cmpAddr); diff != "" {
		t.Errorf("unexpected tunnels (-want +got):\n%s", diff)
	}
	got, err = c.ListTunnels(ctx)
	if err != nil || len(got) != 0 {
		t.Errorf("ListTunnels of none: got %v, %v; want none", got, err)
	}
}

func TestCreateSession(t *testing.T) {
	tests := []struct {
		name    string
		version uint8
		in      Session
		attrs   []fakeAttr
	}{
		{
			name:    "L2TPv3 Ethernet with every option",
			version: 3,
			in: Session{TunnelID: 5, ID: 7, PeerID: 8, Pseudowire: PseudowireEth,
				Cookie: []byte{1, 2, 3, 4}, PeerCookie: []byte{5, 6, 7, 8, 9, 10, 11, 12},
				L2Spec: L2SpecDefault, SendSeq: true, RecvSeq: true, LNSMode: true,
				ReorderTimeout: 1500 * time.Millisecond, InterfaceName: "l2tpeth7", Debug: DebugMsgData},
			attrs: []fakeAttr{
				aU32(attrConnID, 5), aU32(attrSessionID, 7), aU32(attrPeerSessionID, 8), aU16(attrPWType, 5),
				aU8(attrL2SpecType, 1),
				aBytes(attrCookie, 1, 2, 3, 4), aBytes(attrPeerCookie, 5, 6, 7, 8, 9, 10, 11, 12),
				aStr(attrIfname, "l2tpeth7"),
				aU8(attrRecvSeq, 1), aU8(attrSendSeq, 1), aU8(attrLNSMode, 1),
				aU64(attrRecvTimeout, 1500), aU32(attrDebug, 8),
			},
		},
		{
			name:    "L2TPv3 minimal sends L2SPEC_TYPE none explicitly",
			version: 3,
			in:      Session{TunnelID: 5, ID: 70000, PeerID: 80000, Pseudowire: PseudowireEth},
			attrs: []fakeAttr{
				aU32(attrConnID, 5), aU32(attrSessionID, 70000), aU32(attrPeerSessionID, 80000), aU16(attrPWType, 5),
				aU8(attrL2SpecType, 0),
			},
		},
		{
			name:    "L2TPv2 PPP sends no L2TPv3 attributes",
			version: 2,
			in:      Session{TunnelID: 5, ID: 7, PeerID: 8, Pseudowire: PseudowirePPP, SendSeq: true},
			attrs: []fakeAttr{
				aU32(attrConnID, 5), aU32(attrSessionID, 7), aU32(attrPeerSessionID, 8), aU16(attrPWType, 7),
				aU8(attrSendSeq, 1),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := newTestConn(t,
				req(cmdTunnelGet, aU32(attrConnID, 5)).reply(tunnelVReply(5, tt.version)),
				req(cmdSessionCreate, tt.attrs...),
				req(cmdSessionGet, aU32(attrConnID, 5), aU32(attrSessionID, tt.in.ID)).reply(sessionReply(5, tt.in.ID, "l2tpeth0")),
			)
			got, err := c.CreateSession(ctx, tt.in)
			if err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
			if diff := cmp.Diff(wantSession(5, tt.in.ID, "l2tpeth0"), got, cmpAddr); diff != "" {
				t.Errorf("unexpected session (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateSessionErrors(t *testing.T) {
	v3 := req(cmdTunnelGet, aU32(attrConnID, 5)).reply(tunnelVReply(5, 3))
	create := func(pw PseudowireType) call {
		return req(cmdSessionCreate, aU32(attrConnID, 5), aU32(attrSessionID, 7), aU32(attrPeerSessionID, 8),
			aU16(attrPWType, uint16(pw)), aU8(attrL2SpecType, 0))
	}
	tests := []struct {
		name   string
		script []call
		pw     PseudowireType
		is     []error
		msg    string
	}{
		{
			name:   "missing tunnel",
			script: []call{req(cmdTunnelGet, aU32(attrConnID, 5)).fail(syscall.ENODEV, "")},
			pw:     PseudowireEth,
			is:     []error{ErrNotFound, syscall.ENODEV},
			msg:    "l2tp: create session 7 in tunnel 5: tunnel 5 not found: netlinkraw: request: no such device",
		},
		{
			name:   "eth module missing",
			script: []call{v3, create(PseudowireEth).fail(syscall.EPROTONOSUPPORT, "")},
			pw:     PseudowireEth,
			is:     []error{errors.ErrUnsupported, syscall.EPROTONOSUPPORT},
			msg:    "l2tp: create session 7 in tunnel 5: pseudowire eth needs the l2tp_eth kernel module, which is not loaded or not built: netlinkraw: request: protocol not supported",
		},
		{
			name:   "ppp module missing",
			script: []call{v3, create(PseudowirePPP).fail(syscall.EPROTONOSUPPORT, "")},
			pw:     PseudowirePPP,
			is:     []error{errors.ErrUnsupported},
			msg:    "l2tp: create session 7 in tunnel 5: pseudowire ppp needs the l2tp_ppp kernel module, which is not loaded or not built: netlinkraw: request: protocol not supported",
		},
		{
			name:   "pseudowire not implemented",
			script: []call{v3, create(PseudowireIP).fail(syscall.EPROTONOSUPPORT, "")},
			pw:     PseudowireIP,
			is:     []error{errors.ErrUnsupported},
			msg:    "l2tp: create session 7 in tunnel 5: the kernel does not implement pseudowire L2TP_PWTYPE_IP",
		},
		{
			name:   "session exists, with extended ACK text",
			script: []call{v3, create(PseudowireEth).fail(syscall.EEXIST, "some ext-ack text")},
			pw:     PseudowireEth,
			is:     []error{fs.ErrExist, syscall.EEXIST},
			msg:    "l2tp: create session 7 in tunnel 5: session ID or interface name already in use: netlinkraw: request: file exists: some ext-ack text",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := newTestConn(t, tt.script...)
			_, err := c.CreateSession(ctx, Session{TunnelID: 5, ID: 7, PeerID: 8, Pseudowire: tt.pw})
			if err == nil {
				t.Fatal("CreateSession succeeded")
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("error %q does not match %v", err, target)
				}
			}
			var ne *netlinkraw.Error
			if !errors.As(err, &ne) {
				t.Errorf("error %q has no *netlinkraw.Error", err)
			}
			if !strings.HasPrefix(err.Error(), tt.msg) {
				t.Errorf("got error\n%q\nwant it to start with\n%q", err, tt.msg)
			}
		})
	}
}

func TestDeleteSession(t *testing.T) {
	c, _, _ := newTestConn(t,
		req(cmdSessionDelete, aU32(attrConnID, 5), aU32(attrSessionID, 7)),
		req(cmdSessionDelete, aStr(attrIfname, "l2tpeth3")),
		req(cmdSessionDelete, aU32(attrConnID, 5), aU32(attrSessionID, 9)).fail(syscall.ENODEV, ""),
	)
	if err := c.DeleteSession(ctx, 5, 7); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	if err := c.DeleteSessionByName(ctx, "l2tpeth3"); err != nil {
		t.Fatalf("DeleteSessionByName: %v", err)
	}
	err := c.DeleteSession(ctx, 5, 9)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("DeleteSession(5, 9): got %v, want ErrNotFound", err)
	}
	for _, err := range []error{c.DeleteSession(ctx, 0, 7), c.DeleteSession(ctx, 5, 0), c.DeleteSessionByName(ctx, ""), c.DeleteSessionByName(ctx, "a/b")} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
	}
}

func TestModifySession(t *testing.T) {
	c, _, _ := newTestConn(t,
		req(cmdSessionModify, aU32(attrConnID, 5), aU32(attrSessionID, 7),
			aU8(attrRecvSeq, 1), aU8(attrSendSeq, 0), aU8(attrLNSMode, 1), aU64(attrRecvTimeout, 20)),
		req(cmdSessionModify, aStr(attrIfname, "l2tpeth3"),
			aU8(attrRecvSeq, 0), aU8(attrSendSeq, 1), aU8(attrLNSMode, 0), aU64(attrRecvTimeout, 0)),
	)
	if err := c.ModifySession(ctx, Session{TunnelID: 5, ID: 7, InterfaceName: "ignored", RecvSeq: true, LNSMode: true, ReorderTimeout: 20 * time.Millisecond}); err != nil {
		t.Fatalf("ModifySession by IDs: %v", err)
	}
	if err := c.ModifySession(ctx, Session{InterfaceName: "l2tpeth3", SendSeq: true}); err != nil {
		t.Fatalf("ModifySession by name: %v", err)
	}
	if err := c.ModifySession(ctx, Session{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("ModifySession(no IDs, no name): got %v, want ErrInvalid", err)
	}
	if err := c.ModifySession(ctx, Session{TunnelID: 5, ID: 7, ReorderTimeout: -time.Second}); !errors.Is(err, ErrInvalid) {
		t.Errorf("ModifySession(negative timeout): got %v, want ErrInvalid", err)
	}
}

// TestGetSession is also the regression test for go-l2tp's GetSessionInfo,
// which decoded nothing: every attribute of the reply must arrive.
func TestGetSession(t *testing.T) {
	c, _, _ := newTestConn(t,
		req(cmdSessionGet, aU32(attrConnID, 5), aU32(attrSessionID, 7)).reply(sessionReply(5, 7, "l2tpeth0")),
		req(cmdSessionGet, aStr(attrIfname, "l2tpeth0")).reply(sessionReply(5, 7, "l2tpeth0")),
		req(cmdSessionGet, aStr(attrIfname, "nope")).fail(syscall.ENODEV, ""),
	)
	got, err := c.GetSession(ctx, 5, 7)
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	if diff := cmp.Diff(wantSession(5, 7, "l2tpeth0"), got, cmpAddr); diff != "" {
		t.Errorf("unexpected session (-want +got):\n%s", diff)
	}
	got, err = c.GetSessionByName(ctx, "l2tpeth0")
	if err != nil {
		t.Fatalf("GetSessionByName: %v", err)
	}
	if diff := cmp.Diff(wantSession(5, 7, "l2tpeth0"), got, cmpAddr); diff != "" {
		t.Errorf("unexpected session (-want +got):\n%s", diff)
	}
	_, err = c.GetSessionByName(ctx, "nope")
	if !errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), `l2tp: get session "nope": session or its tunnel not found`) {
		t.Errorf("GetSessionByName(nope): got %v, want ErrNotFound", err)
	}
}

func TestListSessions(t *testing.T) {
	all := [][]byte{sessionReply(5, 7, "a"), sessionReply(5, 8, "b"), sessionReply(6, 7, "c")}
	tests := []struct {
		name   string
		filter SessionFilter
		want   []Session
	}{
		{"all", SessionFilter{}, []Session{wantSession(5, 7, "a"), wantSession(5, 8, "b"), wantSession(6, 7, "c")}},
		{"by tunnel", SessionFilter{TunnelID: 5}, []Session{wantSession(5, 7, "a"), wantSession(5, 8, "b")}},
		{"by name", SessionFilter{InterfaceName: "c"}, []Session{wantSession(6, 7, "c")}},
		{"both, no match", SessionFilter{TunnelID: 5, InterfaceName: "c"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The dump request carries no filter: the kernel ignores them.
			c, _, _ := newTestConn(t, dump(cmdSessionGet).reply(all...))
			got, err := c.ListSessions(ctx, tt.filter)
			if err != nil {
				t.Fatalf("ListSessions: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpAddr); diff != "" {
				t.Errorf("unexpected sessions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListErrors(t *testing.T) {
	c, _, _ := newTestConn(t,
		dump(cmdSessionGet).fail(syscall.EPERM, ""),
		dump(cmdTunnelGet).reply(genlPayload(cmdTunnelGet, aBytes(attrIPSaddr, 1, 2, 3))),
	)
	if _, err := c.ListSessions(ctx, SessionFilter{}); !errors.Is(err, syscall.EPERM) || !strings.HasPrefix(err.Error(), "l2tp: list sessions: ") {
		t.Errorf("ListSessions: got %v, want EPERM", err)
	}
	if _, err := c.ListTunnels(ctx); err == nil || !strings.Contains(err.Error(), "L2TP_ATTR_IP_SADDR") {
		t.Errorf("ListTunnels of a bad address: got %v, want an error naming L2TP_ATTR_IP_SADDR", err)
	}
}

func TestNoop(t *testing.T) {
	c, _, _ := newTestConn(t, req(cmdNoop).reply(genlPayload(cmdNoop)))
	if err := c.Noop(ctx); err != nil {
		t.Fatalf("Noop: %v", err)
	}
}

// TestGetUsesRequest pins go-l2tp's bug of an ACK left queued after a GET:
// GETs go through transport.Request, which reads up to the ACK, never
// through a one-message read. Two GETs in a row each see their own reply.
func TestGetUsesRequest(t *testing.T) {
	c, _, _ := newTestConn(t,
		req(cmdTunnelGet, aU32(attrConnID, 5)).reply(tunnel4Reply(5, 6)),
		req(cmdSessionGet, aU32(attrConnID, 5), aU32(attrSessionID, 7)).reply(sessionReply(5, 7, "x")),
		req(cmdTunnelGet, aU32(attrConnID, 8)).reply(tunnel4Reply(8, 9)),
	)
	if tn, err := c.GetTunnel(ctx, 5); err != nil || tn.ID != 5 {
		t.Fatalf("GetTunnel(5): %v, %v", tn.ID, err)
	}
	if s, err := c.GetSession(ctx, 5, 7); err != nil || s.ID != 7 {
		t.Fatalf("GetSession: %v, %v", s.ID, err)
	}
	if tn, err := c.GetTunnel(ctx, 8); err != nil || tn.ID != 8 {
		t.Fatalf("GetTunnel(8): %v, %v", tn.ID, err)
	}
}

// TestUseAfterClose pins go-l2tp's panic on use after Close.
func TestUseAfterClose(t *testing.T) {
	c, k, _ := newTestConn(t)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	tn := Tunnel{ID: 5, PeerID: 6, Version: 3, Encap: EncapIP, Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("192.0.2.2")}
	calls := []struct {
		name string
		err  error
	}{
		{"Noop", c.Noop(ctx)},
		{"CreateTunnel", second(c.CreateTunnel(ctx, tn))},
		{"DeleteTunnel", c.DeleteTunnel(ctx, 5)},
		{"ModifyTunnel", c.ModifyTunnel(ctx, 5, 0)},
		{"GetTunnel", second(c.GetTunnel(ctx, 5))},
		{"ListTunnels", second(c.ListTunnels(ctx))},
		{"CreateSession", second(c.CreateSession(ctx, Session{TunnelID: 5, ID: 7, PeerID: 8, Pseudowire: PseudowireEth}))},
		{"DeleteSession", c.DeleteSession(ctx, 5, 7)},
		{"ModifySession", c.ModifySession(ctx, Session{TunnelID: 5, ID: 7})},
		{"GetSession", second(c.GetSession(ctx, 5, 7))},
		{"ListSessions", second(c.ListSessions(ctx, SessionFilter{}))},
		{"CreateTunnels", second(c.CreateTunnels(ctx, []Tunnel{tn}))},
		{"DeleteTunnels", second(c.DeleteTunnels(ctx, []uint32{5}))},
		{"DeleteSessions", second(c.DeleteSessions(ctx, []Session{{TunnelID: 5, ID: 7}}))},
		{"Events", second(c.Events(ctx))},
	}
	for _, tt := range calls {
		if !errors.Is(tt.err, net.ErrClosed) {
			t.Errorf("%s after Close: got %v, want an error matching net.ErrClosed", tt.name, tt.err)
		}
	}
	if k.calls != 0 {
		t.Errorf("the transport saw %d calls after Close", k.calls)
	}
}

func second[T any](_ T, err error) error { return err }

// TestZeroConn: a Conn not made by Dial gives errors, not panics.
func TestZeroConn(t *testing.T) {
	for _, c := range []*Conn{nil, new(Conn)} {
		if err := c.Noop(ctx); err == nil {
			t.Errorf("Noop on %v: no error", c)
		}
		if _, err := c.DeleteTunnels(ctx, []uint32{1}); err == nil {
			t.Errorf("DeleteTunnels on %v: no error", c)
		}
		if _, err := c.Events(ctx); err == nil {
			t.Errorf("Events on %v: no error", c)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close on %v: %v", c, err)
		}
	}
}

func TestPortID(t *testing.T) {
	c, _, _ := newTestConn(t)
	if got := c.PortID(); got != testPortID {
		t.Errorf("PortID() = %d, want %d", got, testPortID)
	}
	if got := (*Conn)(nil).PortID(); got != 0 {
		t.Errorf("nil PortID() = %d, want 0", got)
	}
}

// echoKernel answers every TUNNEL_GET with the tunnel asked for, in any
// order, for the concurrency test.
type echoKernel struct{ *fakeKernel }

func (echoKernel) Request(ctx context.Context, msg []byte, fn func(netlinkraw.Header, []byte) error) error {
	m, err := parseMsg(msg)
	if err != nil {
		return err
	}
	if m.Cmd != cmdTunnelGet || len(m.Attrs) != 1 || m.Attrs[0].Type != attrConnID {
		return fmt.Errorf("unexpected request %+v", m)
	}
	id := binary.NativeEndian.Uint32(m.Attrs[0].Data)
	return fn(netlinkraw.Header{Type: testFamily}, tunnel4Reply(id, id+1))
}

// TestConcurrentUse runs calls from many goroutines, and a Close among
// them, under the race detector.
func TestConcurrentUse(t *testing.T) {
	c := newConn(echoKernel{newFake(t)}, testFamily, testGroup, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := uint32(g*1000 + i + 1)
				tn, err := c.GetTunnel(ctx, id)
				if errors.Is(err, net.ErrClosed) {
					return
				}
				if err != nil || tn.ID != id || tn.PeerID != id+1 {
					t.Errorf("GetTunnel(%d) = %d, %v", id, tn.ID, err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(time.Millisecond)
		c.Close()
	}()
	wg.Wait()
}

func TestCreateTunnelIPModuleMissing(t *testing.T) {
	for _, tt := range []struct {
		local, remote string
		attrs         []fakeAttr
		module        string
	}{
		{"192.0.2.1", "192.0.2.2", []fakeAttr{aBytes(attrIPSaddr, 192, 0, 2, 1), aBytes(attrIPDaddr, 192, 0, 2, 2)}, "the l2tp_ip kernel module"},
		{"::1", "::2", []fakeAttr{aBytes(attrIP6Saddr, netip.MustParseAddr("::1").AsSlice()...), aBytes(attrIP6Daddr, netip.MustParseAddr("::2").AsSlice()...)}, "the l2tp_ip6 kernel module"},
	} {
		attrs := append([]fakeAttr{aU32(attrConnID, 5), aU32(attrPeerConnID, 6), aU8(attrProtoVersion, 3), aU16(attrEncapType, 1)}, tt.attrs...)
		c, _, _ := newTestConn(t, req(cmdTunnelCreate, attrs...).fail(syscall.EPROTONOSUPPORT, ""))
		_, err := c.CreateTunnel(ctx, Tunnel{ID: 5, PeerID: 6, Version: 3, Encap: EncapIP,
			Local: netip.MustParseAddr(tt.local), Remote: netip.MustParseAddr(tt.remote)})
		if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, syscall.EPROTONOSUPPORT) || !strings.Contains(err.Error(), tt.module) {
			t.Errorf("CreateTunnel(%s): got %v, want ErrUnsupported naming %s", tt.local, err, tt.module)
		}
	}
}

func TestCreateReadBackFails(t *testing.T) {
	c, _, _ := newTestConn(t,
		req(cmdTunnelCreate, aU32(attrConnID, 5), aU32(attrPeerConnID, 6), aU8(attrProtoVersion, 3), aU16(attrEncapType, 1),
			aBytes(attrIPSaddr, 192, 0, 2, 1), aBytes(attrIPDaddr, 192, 0, 2, 2)),
		req(cmdTunnelGet, aU32(attrConnID, 5)).fail(syscall.ENODEV, ""),
	)
	_, err := c.CreateTunnel(ctx, Tunnel{ID: 5, PeerID: 6, Version: 3, Encap: EncapIP,
		Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("192.0.2.2")})
	want := "l2tp: tunnel 5 was created, but reading it back failed: l2tp: get tunnel 5: tunnel not found"
	if !errors.Is(err, ErrNotFound) || !strings.HasPrefix(fmt.Sprint(err), want) {
		t.Errorf("got %v, want %q...", err, want)
	}
}

func TestEventKindString(t *testing.T) {
	for k, want := range map[EventKind]string{0: "EventKind(0)", EventSessionModify: "session-modify", 7: "EventKind(7)"} {
		if got := k.String(); got != want {
			t.Errorf("EventKind(%d).String() = %q, want %q", k, got, want)
		}
	}
}
