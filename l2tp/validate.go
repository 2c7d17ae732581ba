package l2tp

import (
	"fmt"
	"net/netip"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxV2ID is the largest tunnel or session ID of L2TPv2 (16-bit fields).
const maxV2ID = 0xffff

// maxIfname is the longest interface name Linux accepts (IFNAMSIZ - 1).
const maxIfname = 15

// validateTunnel checks a tunnel to create. managed says it comes with a
// socket, from which the kernel takes addresses, ports and checksum
// settings, so those fields are not checked.
func validateTunnel(t *Tunnel, managed bool) error {
	if t.ID == 0 {
		return invalidf("tunnel: ID must not be zero")
	}
	p := fmt.Sprintf("tunnel %d", t.ID)
	if t.PeerID == 0 {
		return invalidf("%s: PeerID must not be zero", p)
	}
	switch t.Version {
	case 2:
		if t.ID > maxV2ID {
			return invalidf("%s: ID must be at most 65535 for L2TPv2, got %d", p, t.ID)
		}
		if t.PeerID > maxV2ID {
			return invalidf("%s: PeerID must be at most 65535 for L2TPv2, got %d", p, t.PeerID)
		}
		if t.Encap != EncapUDP {
			return invalidf("%s: Encap must be %v for L2TPv2, got %v", p, EncapUDP, t.Encap)
		}
	case 3:
		if t.Encap != EncapUDP && t.Encap != EncapIP {
			return invalidf("%s: Encap must be %v or %v, got %v", p, EncapUDP, EncapIP, t.Encap)
		}
	default:
		return invalidf("%s: Version must be 2 or 3, got %d", p, t.Version)
	}
	if managed {
		// The socket has the addresses, ports and checksum settings;
		// NewTunnelSocket checked those fields when it made it.
		return nil
	}
	if err := checkAddr(p, "Local", t.Local); err != nil {
		return err
	}
	if err := checkAddr(p, "Remote", t.Remote); err != nil {
		return err
	}
	if t.Local.Is4() != t.Remote.Is4() {
		return invalidf("%s: Local (%v) and Remote (%v) must be of the same address family", p, t.Local, t.Remote)
	}
	if t.Encap == EncapIP {
		switch {
		case t.LocalPort != 0 || t.RemotePort != 0:
			return invalidf("%s: ports must be zero with IP encapsulation, got LocalPort %d, RemotePort %d", p, t.LocalPort, t.RemotePort)
		case t.UDPChecksum || t.UDPZeroChecksum6TX || t.UDPZeroChecksum6RX:
			return invalidf("%s: UDP checksum options need UDP encapsulation", p)
		}
		return nil
	}
	if t.RemotePort == 0 {
		return invalidf("%s: RemotePort must not be zero with UDP encapsulation", p)
	}
	if t.Local.Is4() && (t.UDPZeroChecksum6TX || t.UDPZeroChecksum6RX) {
		return invalidf("%s: UDPZeroChecksum6TX and UDPZeroChecksum6RX apply to IPv6 tunnels only", p)
	}
	if !t.Local.Is4() && t.UDPChecksum {
		return invalidf("%s: UDPChecksum applies to IPv4 tunnels only (IPv6 always has checksums; see UDPZeroChecksum6TX)", p)
	}
	return nil
}

func checkAddr(p, field string, a netip.Addr) error {
	switch {
	case !a.IsValid():
		return invalidf("%s: %s address must be set for a static tunnel", p, field)
	case a.Is4In6():
		return invalidf("%s: %s address %v is an IPv4-mapped IPv6 address: use %v (netip.Addr.Unmap) for IPv4", p, field, a, a.Unmap())
	case a.Zone() != "":
		return invalidf("%s: %s address must not have a zone, got %v", p, field, a)
	case a.IsUnspecified():
		return invalidf("%s: %s address must not be unspecified, got %v", p, field, a)
	}
	return nil
}

// validateSession checks a session to create in a tunnel of the given
// L2TP version.
func validateSession(s *Session, version uint8) error {
	if s.ID == 0 {
		return invalidf("session: ID must not be zero")
	}
	p := fmt.Sprintf("session %d", s.ID)
	switch {
	case s.TunnelID == 0:
		return invalidf("%s: TunnelID must not be zero", p)
	case s.PeerID == 0:
		return invalidf("%s: PeerID must not be zero", p)
	}
	if err := checkPseudowire(p, s.Pseudowire); err != nil {
		return err
	}
	if err := checkCookie(p, "Cookie", s.Cookie); err != nil {
		return err
	}
	if err := checkCookie(p, "PeerCookie", s.PeerCookie); err != nil {
		return err
	}
	if s.L2Spec != L2SpecNone && s.L2Spec != L2SpecDefault {
		return invalidf("%s: L2Spec must be %v or %v, got %v", p, L2SpecNone, L2SpecDefault, s.L2Spec)
	}
	if err := checkReorder(p, s.ReorderTimeout); err != nil {
		return err
	}
	if s.InterfaceName != "" {
		if err := checkIfname(p, s.InterfaceName); err != nil {
			return err
		}
	}
	if version == 2 {
		switch {
		case s.ID > maxV2ID:
			return invalidf("%s: ID must be at most 65535 for L2TPv2, got %d", p, s.ID)
		case s.PeerID > maxV2ID:
			return invalidf("%s: PeerID must be at most 65535 for L2TPv2, got %d", p, s.PeerID)
		case s.TunnelID > maxV2ID:
			return invalidf("%s: TunnelID must be at most 65535 for L2TPv2, got %d", p, s.TunnelID)
		case s.Pseudowire != PseudowirePPP:
			return invalidf("%s: Pseudowire must be %v in L2TPv2 tunnel %d, got %v", p, PseudowirePPP, s.TunnelID, s.Pseudowire)
		case len(s.Cookie) != 0:
			return invalidf("%s: Cookie is L2TPv3 only, but tunnel %d is L2TPv2", p, s.TunnelID)
		case len(s.PeerCookie) != 0:
			return invalidf("%s: PeerCookie is L2TPv3 only, but tunnel %d is L2TPv2", p, s.TunnelID)
		case s.L2Spec != L2SpecNone:
			return invalidf("%s: L2Spec is L2TPv3 only, but tunnel %d is L2TPv2", p, s.TunnelID)
		case s.InterfaceName != "":
			return invalidf("%s: InterfaceName is L2TPv3 only (pppd names L2TPv2 interfaces), but tunnel %d is L2TPv2", p, s.TunnelID)
		}
	}
	return nil
}

func checkPseudowire(p string, pw PseudowireType) error {
	switch pw {
	case PseudowireEthVLAN, PseudowireEth, PseudowirePPP, PseudowirePPPAC, PseudowireIP:
		return nil
	case PseudowireNone:
		return invalidf("%s: Pseudowire must be set (%v or %v)", p, PseudowireEth, PseudowirePPP)
	}
	return invalidf("%s: Pseudowire %d is not a known pseudowire type", p, uint16(pw))
}

func checkCookie(p, field string, c []byte) error {
	if n := len(c); n != 0 && n != 4 && n != 8 {
		return invalidf("%s: %s must be 4 or 8 bytes, got %d", p, field, n)
	}
	return nil
}

func checkReorder(p string, d time.Duration) error {
	switch {
	case d < 0:
		return invalidf("%s: ReorderTimeout must not be negative, got %v", p, d)
	case d > 0 && d < time.Millisecond:
		return invalidf("%s: ReorderTimeout must be zero or at least 1ms (the kernel counts milliseconds), got %v", p, d)
	}
	return nil
}

// checkIfname applies the kernel's rules for interface names
// (dev_valid_name).
func checkIfname(p, name string) error {
	switch {
	case name == "":
		return invalidf("%s: InterfaceName must not be empty", p)
	case len(name) > maxIfname:
		return invalidf("%s: InterfaceName must be at most 15 bytes, got %d (%q)", p, len(name), name)
	case name == "." || name == "..":
		return invalidf("%s: InterfaceName must not be %q", p, name)
	}
	for _, r := range name {
		switch {
		case r == 0:
			return invalidf("%s: InterfaceName must not contain NUL, got %q", p, name)
		case r == '/' || r == ':':
			return invalidf("%s: InterfaceName must not contain %q, got %q", p, r, name)
		case r == utf8.RuneError:
			return invalidf("%s: InterfaceName must be valid UTF-8, got %q", p, name)
		case unicode.IsSpace(r):
			return invalidf("%s: InterfaceName must not contain whitespace, got %q", p, name)
		}
	}
	return nil
}

// checkSessionRef checks what identifies an existing session: both IDs, or
// an interface name.
func checkSessionRef(tunnelID, id uint32, ifname string) error {
	if ifname != "" {
		return checkIfname("session", ifname)
	}
	switch {
	case tunnelID == 0 && id == 0:
		return invalidf("session: need TunnelID and ID, or InterfaceName")
	case tunnelID == 0:
		return invalidf("session %d: TunnelID must not be zero", id)
	case id == 0:
		return invalidf("session in tunnel %d: ID must not be zero", tunnelID)
	}
	return nil
}
