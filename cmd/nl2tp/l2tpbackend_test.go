package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nl2tp/nl2tp/l2tp"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

func TestExplain(t *testing.T) {
	enodev := &netlinkraw.Error{Op: "request", Err: syscall.ENODEV}
	einval := &netlinkraw.Error{Op: "request", Err: syscall.EINVAL, Message: "Attribute failed policy validation", Offset: 36}
	eexist := &netlinkraw.Error{Op: "batch", Err: syscall.EEXIST}
	tests := []struct {
		name string
		err  error
		want string
		is   error
	}{
		// The shapes of the l2tp package's errors: "l2tp: <op>: <why>: <netlinkraw error>".
		{"not found", fmt.Errorf("l2tp: delete tunnel 999: tunnel not found: %w", enodev), "tunnel not found", syscall.ENODEV},
		{"ext-ack", fmt.Errorf("l2tp: create session 1 in tunnel 1: %w", einval),
			"invalid argument: Attribute failed policy validation", syscall.EINVAL},
		{"exists", fmt.Errorf("l2tp: create tunnel 1: tunnel ID already in use in this network namespace: %w", eexist),
			"tunnel ID already in use in this network namespace", fs.ErrExist},
		{"bare kernel error", enodev, "no such device", syscall.ENODEV},
		{"validation", errors.New("l2tp: session 7: Cookie must be 4 or 8 bytes, got 5"), "session 7: Cookie must be 4 or 8 bytes, got 5", nil},
		{"no why", fmt.Errorf("l2tp: list sessions: %w", &netlinkraw.Error{Op: "dump", Err: syscall.EPERM}), "operation not permitted", syscall.EPERM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := explain(tt.err)
			if diff := cmp.Diff(tt.want, got.Error()); diff != "" {
				t.Errorf("unexpected message (-want +got):\n%s", diff)
			}
			if !errors.Is(got, tt.err) {
				t.Error("the original error is not reachable")
			}
			if tt.is != nil && !errors.Is(got, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", got, tt.is)
			}
		})
	}
}

func TestToTunnel(t *testing.T) {
	v4a, v4b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	tests := []struct {
		name string
		in   addTunnelCmd
		want l2tp.Tunnel
	}{
		{"udp4 csum", addTunnelCmd{TunnelID: 1, PeerTunnelID: 2, Version: 3, Local: v4a, Remote: v4b, UDPSport: 3, UDPDport: 4, UDPCsum: true, UDP6CsumTx: true, UDP6CsumRx: true},
			l2tp.Tunnel{ID: 1, PeerID: 2, Version: 3, Encap: l2tp.EncapUDP, Local: v4a, Remote: v4b, LocalPort: 3, RemotePort: 4, UDPChecksum: true}},
		{"udp6 zero csum", addTunnelCmd{TunnelID: 1, PeerTunnelID: 2, Version: 3, Local: v6a, Remote: v6b, UDPSport: 3, UDPDport: 4, UDP6CsumTx: false, UDP6CsumRx: true},
			l2tp.Tunnel{ID: 1, PeerID: 2, Version: 3, Encap: l2tp.EncapUDP, Local: v6a, Remote: v6b, LocalPort: 3, RemotePort: 4, UDPZeroChecksum6TX: true}},
		{"ip encap", addTunnelCmd{TunnelID: 1, PeerTunnelID: 2, Version: 3, Encap: encapIP, Local: v6a, Remote: v6b, UDPCsum: true},
			l2tp.Tunnel{ID: 1, PeerID: 2, Version: 3, Encap: l2tp.EncapIP, Local: v6a, Remote: v6b}},
		{"v2", addTunnelCmd{TunnelID: 1, PeerTunnelID: 2, Version: 2, Local: v4a, Remote: v4b, UDPSport: 1701, UDPDport: 1701},
			l2tp.Tunnel{ID: 1, PeerID: 2, Version: 2, Local: v4a, Remote: v4b, LocalPort: 1701, RemotePort: 1701}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, toTunnel(&tt.in), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("unexpected tunnel (-want +got):\n%s", diff)
			}
		})
	}
}

func TestToSession(t *testing.T) {
	in := addSessionCmd{Name: "s0", TunnelID: 1, PeerTunnelID: 9, SessionID: 2, PeerSessionID: 3, Pseudowire: pwPPP,
		Cookie: []byte{1, 2, 3, 4}, PeerCookie: []byte{5, 6, 7, 8}, SendSeq: true, L2Spec: l2specDefault,
		LNSMode: true, ReorderTimeout: time.Second}
	want := l2tp.Session{TunnelID: 1, ID: 2, PeerID: 3, Pseudowire: l2tp.PseudowirePPP,
		Cookie: []byte{1, 2, 3, 4}, PeerCookie: []byte{5, 6, 7, 8}, L2Spec: l2tp.L2SpecDefault,
		SendSeq: true, LNSMode: true, ReorderTimeout: time.Second, InterfaceName: "s0"}
	if diff := cmp.Diff(want, toSession(&in)); diff != "" {
		t.Errorf("unexpected session (-want +got):\n%s", diff)
	}
}

func TestFromL2TP(t *testing.T) {
	st := l2tp.Stats{TxPackets: 1, TxBytes: 2, RxPackets: 3, RxInvalid: 4,
		Present: l2tp.StatTxPackets | l2tp.StatTxBytes | l2tp.StatRxPackets}
	gotT := fromTunnel(&l2tp.Tunnel{ID: 1, PeerID: 2, Version: 2, Encap: l2tp.EncapUDP,
		Local: netip.MustParseAddr("2001:db8::1"), Remote: netip.MustParseAddr("2001:db8::2"),
		LocalPort: 5, RemotePort: 6, UDPZeroChecksum6RX: true, Stats: st})
	wantT := tunnel{ID: 1, PeerID: 2, Version: 2, Encap: encapUDP,
		Local: netip.MustParseAddr("2001:db8::1"), Remote: netip.MustParseAddr("2001:db8::2"),
		LocalPort: 5, RemotePort: 6, UDP6ZeroCsumRx: true,
		Stats: stats{TxPackets: counter{1, true}, TxBytes: counter{2, true}, RxPackets: counter{3, true},
			RxInvalid: counter{4, false}}}
	cmpAddr := cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
	if diff := cmp.Diff(wantT, gotT, cmpAddr); diff != "" {
		t.Errorf("unexpected tunnel (-want +got):\n%s", diff)
	}
	gotS := fromSession(&l2tp.Session{TunnelID: 1, ID: 2, PeerID: 3, PeerTunnelID: 4, Pseudowire: l2tp.PseudowireEth,
		Cookie: []byte{1, 2, 3, 4}, RecvSeq: true, ReorderTimeout: 5 * time.Millisecond, InterfaceName: "l2tpeth0",
		Stats: l2tp.Stats{Present: l2tp.StatAll, RxErrors: 7}})
	wantS := session{TunnelID: 1, SessionID: 2, PeerSessionID: 3, PeerTunnelID: 4, Pseudowire: pwEth,
		Cookie: []byte{1, 2, 3, 4}, RecvSeq: true, ReorderTimeout: 5 * time.Millisecond, Name: "l2tpeth0",
		Stats: allZeroStatsWith(func(s *stats) { s.RxErrors.Value = 7 })}
	if diff := cmp.Diff(wantS, gotS); diff != "" {
		t.Errorf("unexpected session (-want +got):\n%s", diff)
	}
}

func allZeroStatsWith(f func(*stats)) stats {
	v := counter{0, true}
	s := stats{v, v, v, v, v, v, v, v, v, v}
	f(&s)
	return s
}

func TestSameKind(t *testing.T) {
	a, b := &addTunnelCmd{}, &addTunnelCmd{TunnelID: 2}
	if !sameKind(a, b) || sameKind(a, &delTunnelCmd{}) || sameKind(&addSessionCmd{}, &delSessionCmd{}) || !sameKind(&delSessionCmd{}, &delSessionCmd{}) {
		t.Error("sameKind is wrong")
	}
}
