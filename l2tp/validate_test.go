package l2tp

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestValidateTunnel(t *testing.T) {
	v4a, v4b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	ok := Tunnel{ID: 5, PeerID: 6, Version: 3, Local: v4a, Remote: v4b, RemotePort: 1701}
	with := func(f func(*Tunnel)) Tunnel { t := ok; f(&t); return t }
	tests := []struct {
		name string
		in   Tunnel
		msg  string // "" means valid
	}{
		{"valid IPv4 UDP", ok, ""},
		{"valid IPv6 IP", Tunnel{ID: 1, PeerID: 1, Version: 3, Encap: EncapIP, Local: v6a, Remote: v6b}, ""},
		{"valid L2TPv2 at the ID limit", with(func(t *Tunnel) { t.Version, t.ID, t.PeerID = 2, 65535, 65535 }), ""},
		{"zero ID", with(func(t *Tunnel) { t.ID = 0 }), "l2tp: tunnel: ID must not be zero"},
		{"zero peer ID", with(func(t *Tunnel) { t.PeerID = 0 }), "l2tp: tunnel 5: PeerID must not be zero"},
		{"version 1", with(func(t *Tunnel) { t.Version = 1 }), "l2tp: tunnel 5: Version must be 2 or 3, got 1"},
		{"version 0", with(func(t *Tunnel) { t.Version = 0 }), "l2tp: tunnel 5: Version must be 2 or 3, got 0"},
		{"L2TPv2 ID too big", with(func(t *Tunnel) { t.Version, t.ID = 2, 65536 }), "l2tp: tunnel 65536: ID must be at most 65535 for L2TPv2, got 65536"},
		{"L2TPv2 peer ID too big", with(func(t *Tunnel) { t.Version, t.PeerID = 2, 1<<20 }), "l2tp: tunnel 5: PeerID must be at most 65535 for L2TPv2, got 1048576"},
		{"L2TPv2 over IP", with(func(t *Tunnel) { t.Version, t.Encap, t.RemotePort = 2, EncapIP, 0 }), "l2tp: tunnel 5: Encap must be L2TP_ENCAPTYPE_UDP for L2TPv2, got L2TP_ENCAPTYPE_IP"},
		{"encap out of range", with(func(t *Tunnel) { t.Encap = 2 }), "l2tp: tunnel 5: Encap must be L2TP_ENCAPTYPE_UDP or L2TP_ENCAPTYPE_IP, got EncapType(2)"},
		{"no local address", with(func(t *Tunnel) { t.Local = netip.Addr{} }), "l2tp: tunnel 5: Local address must be set for a static tunnel"},
		{"no remote address", with(func(t *Tunnel) { t.Remote = netip.Addr{} }), "l2tp: tunnel 5: Remote address must be set for a static tunnel"},
		{"mixed families", with(func(t *Tunnel) { t.Remote = v6b }), "l2tp: tunnel 5: Local (192.0.2.1) and Remote (2001:db8::2) must be of the same address family"},
		{"zone", with(func(t *Tunnel) { t.Local, t.Remote = v6a.WithZone("eth0"), v6b }), "l2tp: tunnel 5: Local address must not have a zone, got 2001:db8::1%eth0"},
		{"IPv4-mapped", with(func(t *Tunnel) { t.Local = netip.AddrFrom16(v4a.As16()) }), "l2tp: tunnel 5: Local address ::ffff:192.0.2.1 is an IPv4-mapped IPv6 address: use 192.0.2.1 (netip.Addr.Unmap) for IPv4"},
		{"unspecified", with(func(t *Tunnel) { t.Remote = netip.IPv4Unspecified() }), "l2tp: tunnel 5: Remote address must not be unspecified, got 0.0.0.0"},
		{"ports with IP encap", with(func(t *Tunnel) { t.Encap = EncapIP }), "l2tp: tunnel 5: ports must be zero with IP encapsulation, got LocalPort 0, RemotePort 1701"},
		{"checksum with IP encap", with(func(t *Tunnel) { t.Encap, t.RemotePort, t.UDPChecksum = EncapIP, 0, true }), "l2tp: tunnel 5: UDP checksum options need UDP encapsulation"},
		{"no remote port", with(func(t *Tunnel) { t.RemotePort = 0 }), "l2tp: tunnel 5: RemotePort must not be zero with UDP encapsulation"},
		{"zero csum6 on IPv4", with(func(t *Tunnel) { t.UDPZeroChecksum6TX = true }), "l2tp: tunnel 5: UDPZeroChecksum6TX and UDPZeroChecksum6RX apply to IPv6 tunnels only"},
		{"UDP checksum on IPv6", with(func(t *Tunnel) { t.Local, t.Remote, t.UDPChecksum = v6a, v6b, true }), "l2tp: tunnel 5: UDPChecksum applies to IPv4 tunnels only (IPv6 always has checksums; see UDPZeroChecksum6TX)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValidation(t, validateTunnel(&tt.in, false), tt.msg)
		})
	}
}

func TestValidateManagedTunnel(t *testing.T) {
	// Addresses and ports belong to the socket and are not checked.
	in := Tunnel{ID: 5, PeerID: 6, Version: 3, Encap: EncapIP, LocalPort: 9}
	checkValidation(t, validateTunnel(&in, true), "")
	in.Version = 4
	checkValidation(t, validateTunnel(&in, true), "l2tp: tunnel 5: Version must be 2 or 3, got 4")
}

func TestValidateSession(t *testing.T) {
	ok := Session{TunnelID: 5, ID: 7, PeerID: 8, Pseudowire: PseudowireEth}
	with := func(f func(*Session)) Session { s := ok; f(&s); return s }
	ppp := func(f func(*Session)) Session {
		return with(func(s *Session) { s.Pseudowire = PseudowirePPP; f(s) })
	}
	tests := []struct {
		name    string
		version uint8
		in      Session
		msg     string
	}{
		{"valid", 3, ok, ""},
		{"valid with everything", 3, with(func(s *Session) {
			s.Cookie, s.PeerCookie, s.L2Spec, s.InterfaceName, s.ReorderTimeout = make([]byte, 8), make([]byte, 4), L2SpecDefault, "l2tpeth-x.1", time.Second
		}), ""},
		{"valid L2TPv2", 2, ppp(func(s *Session) { s.ID, s.PeerID, s.TunnelID = 65535, 65535, 65535 }), ""},
		{"version unknown yet", 0, with(func(s *Session) { s.ID = 1 << 20 }), ""},
		{"zero ID", 3, with(func(s *Session) { s.ID = 0 }), "l2tp: session: ID must not be zero"},
		{"zero tunnel ID", 3, with(func(s *Session) { s.TunnelID = 0 }), "l2tp: session 7: TunnelID must not be zero"},
		{"zero peer ID", 3, with(func(s *Session) { s.PeerID = 0 }), "l2tp: session 7: PeerID must not be zero"},
		{"no pseudowire", 3, with(func(s *Session) { s.Pseudowire = PseudowireNone }), "l2tp: session 7: Pseudowire must be set (L2TP_PWTYPE_ETH or L2TP_PWTYPE_PPP)"},
		{"pseudowire out of range", 3, with(func(s *Session) { s.Pseudowire = 6 }), "l2tp: session 7: Pseudowire 6 is not a known pseudowire type"},
		// The seed named the peer cookie in the local cookie's error.
		{"cookie of 5 bytes", 3, with(func(s *Session) { s.Cookie = make([]byte, 5) }), "l2tp: session 7: Cookie must be 4 or 8 bytes, got 5"},
		{"peer cookie of 2 bytes", 3, with(func(s *Session) { s.PeerCookie = make([]byte, 2) }), "l2tp: session 7: PeerCookie must be 4 or 8 bytes, got 2"},
		{"cookie of 9 bytes", 3, with(func(s *Session) { s.Cookie = make([]byte, 9) }), "l2tp: session 7: Cookie must be 4 or 8 bytes, got 9"},
		{"l2spec out of range", 3, with(func(s *Session) { s.L2Spec = 2 }), "l2tp: session 7: L2Spec must be L2TP_L2SPECTYPE_NONE or L2TP_L2SPECTYPE_DEFAULT, got L2SpecType(2)"},
		{"negative reorder timeout", 3, with(func(s *Session) { s.ReorderTimeout = -time.Millisecond }), "l2tp: session 7: ReorderTimeout must not be negative, got -1ms"},
		{"sub-millisecond reorder timeout", 3, with(func(s *Session) { s.ReorderTimeout = time.Microsecond }), "l2tp: session 7: ReorderTimeout must be zero or at least 1ms (the kernel counts milliseconds), got 1µs"},
		{"name too long", 3, with(func(s *Session) { s.InterfaceName = "0123456789abcdef" }), `l2tp: session 7: InterfaceName must be at most 15 bytes, got 16 ("0123456789abcdef")`},
		{"name with slash", 3, with(func(s *Session) { s.InterfaceName = "a/b" }), `l2tp: session 7: InterfaceName must not contain '/', got "a/b"`},
		{"name with colon", 3, with(func(s *Session) { s.InterfaceName = "a:b" }), `l2tp: session 7: InterfaceName must not contain ':', got "a:b"`},
		{"name with space", 3, with(func(s *Session) { s.InterfaceName = "a b" }), `l2tp: session 7: InterfaceName must not contain whitespace, got "a b"`},
		{"name with tab", 3, with(func(s *Session) { s.InterfaceName = "a\tb" }), `l2tp: session 7: InterfaceName must not contain whitespace, got "a\tb"`},
		{"name with NUL", 3, with(func(s *Session) { s.InterfaceName = "a\x00b" }), `l2tp: session 7: InterfaceName must not contain NUL, got "a\x00b"`},
		{"name dot", 3, with(func(s *Session) { s.InterfaceName = ".." }), `l2tp: session 7: InterfaceName must not be ".."`},
		{"name not UTF-8", 3, with(func(s *Session) { s.InterfaceName = "a\xffb" }), `l2tp: session 7: InterfaceName must be valid UTF-8, got "a\xffb"`},
		{"L2TPv2 session ID too big", 2, ppp(func(s *Session) { s.ID = 65536 }), "l2tp: session 65536: ID must be at most 65535 for L2TPv2, got 65536"},
		{"L2TPv2 peer ID too big", 2, ppp(func(s *Session) { s.PeerID = 65536 }), "l2tp: session 7: PeerID must be at most 65535 for L2TPv2, got 65536"},
		{"L2TPv2 Ethernet", 2, ok, "l2tp: session 7: Pseudowire must be L2TP_PWTYPE_PPP in L2TPv2 tunnel 5, got L2TP_PWTYPE_ETH"},
		{"L2TPv2 cookie", 2, ppp(func(s *Session) { s.Cookie = make([]byte, 4) }), "l2tp: session 7: Cookie is L2TPv3 only, but tunnel 5 is L2TPv2"},
		{"L2TPv2 peer cookie", 2, ppp(func(s *Session) { s.PeerCookie = make([]byte, 4) }), "l2tp: session 7: PeerCookie is L2TPv3 only, but tunnel 5 is L2TPv2"},
		{"L2TPv2 l2spec", 2, ppp(func(s *Session) { s.L2Spec = L2SpecDefault }), "l2tp: session 7: L2Spec is L2TPv3 only, but tunnel 5 is L2TPv2"},
		{"L2TPv2 name", 2, ppp(func(s *Session) { s.InterfaceName = "ppp0" }), "l2tp: session 7: InterfaceName is L2TPv3 only (pppd names L2TPv2 interfaces), but tunnel 5 is L2TPv2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValidation(t, validateSession(&tt.in, tt.version), tt.msg)
		})
	}
}

func checkValidation(t *testing.T, err error, msg string) {
	t.Helper()
	if msg == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %q", msg)
	}
	if err.Error() != msg {
		t.Errorf("got error\n%q\nwant\n%q", err, msg)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error %q does not match ErrInvalid", err)
	}
}

// TestValidationSendsNothing checks that a call failing validation sends
// nothing: the fake kernel has no script, so any exchange fails the test.
func TestValidationSendsNothing(t *testing.T) {
	c, k, _ := newTestConn(t)
	if _, err := c.CreateTunnel(ctx, Tunnel{ID: 5, PeerID: 6, Version: 3}); !errors.Is(err, ErrInvalid) {
		t.Errorf("CreateTunnel: got %v, want ErrInvalid", err)
	}
	if _, err := c.CreateSession(ctx, Session{TunnelID: 5, ID: 7, PeerID: 8, Pseudowire: PseudowireEth, Cookie: []byte{1}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("CreateSession: got %v, want ErrInvalid", err)
	}
	if _, err := c.GetTunnel(ctx, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("GetTunnel(0): got %v, want ErrInvalid", err)
	}
	if _, err := c.GetSession(ctx, 5, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("GetSession(5, 0): got %v, want ErrInvalid", err)
	}
	if _, err := c.GetSessionByName(ctx, "x y"); !errors.Is(err, ErrInvalid) {
		t.Errorf("GetSessionByName: got %v, want ErrInvalid", err)
	}
	if err := c.ModifyTunnel(ctx, 0, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("ModifyTunnel(0): got %v, want ErrInvalid", err)
	}
	if k.calls != 0 {
		t.Errorf("%d exchanges made, want none", k.calls)
	}
}
