package l2tp

import (
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/nl2tp/nl2tp/internal/text"
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
		return invalid("tunnel: ID must not be zero")
	}
	p := "tunnel " + text.Itoa(t.ID)
	if t.PeerID == 0 {
		return invalid(p + ": PeerID must not be zero")
	}
	switch t.Version {
	case 2:
		if t.ID > maxV2ID {
			return invalid(p + ": ID must be at most 65535 for L2TPv2, got " + text.Itoa(t.ID))
		}
		if t.PeerID > maxV2ID {
			return invalid(p + ": PeerID must be at most 65535 for L2TPv2, got " + text.Itoa(t.PeerID))
		}
		if t.Encap != EncapUDP {
			return invalid(p + ": Encap must be " + EncapUDP.String() + " for L2TPv2, got " + t.Encap.String())
		}
	case 3:
		if t.Encap != EncapUDP && t.Encap != EncapIP {
			return invalid(p + ": Encap must be " + EncapUDP.String() + " or " + EncapIP.String() + ", got " + t.Encap.String())
		}
	default:
		return invalid(p + ": Version must be 2 or 3, got " + text.Itoa(t.Version))
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
		return invalid(p + ": Local (" + t.Local.String() + ") and Remote (" + t.Remote.String() + ") must be of the same address family")
	}
	if t.Encap == EncapIP {
		switch {
		case t.LocalPort != 0 || t.RemotePort != 0:
			return invalid(p + ": ports must be zero with IP encapsulation, got LocalPort " + text.Itoa(t.LocalPort) + ", RemotePort " + text.Itoa(t.RemotePort))
		case t.UDPChecksum || t.UDPZeroChecksum6TX || t.UDPZeroChecksum6RX:
			return invalid(p + ": UDP checksum options need UDP encapsulation")
		}
		return nil
	}
	if t.RemotePort == 0 {
		return invalid(p + ": RemotePort must not be zero with UDP encapsulation")
	}
	if t.Local.Is4() && (t.UDPZeroChecksum6TX || t.UDPZeroChecksum6RX) {
		return invalid(p + ": UDPZeroChecksum6TX and UDPZeroChecksum6RX apply to IPv6 tunnels only")
	}
	if !t.Local.Is4() && t.UDPChecksum {
		return invalid(p + ": UDPChecksum applies to IPv4 tunnels only (IPv6 always has checksums; see UDPZeroChecksum6TX)")
	}
	return nil
}

func checkAddr(p, field string, a netip.Addr) error {
	switch {
	case !a.IsValid():
		return invalid(p + ": " + field + " address must be set for a static tunnel")
	case a.Is4In6():
		return invalid(p + ": " + field + " address " + a.String() + " is an IPv4-mapped IPv6 address: use " + a.Unmap().String() + " (netip.Addr.Unmap) for IPv4")
	case a.Zone() != "":
		return invalid(p + ": " + field + " address must not have a zone, got " + a.String())
	case a.IsUnspecified():
		return invalid(p + ": " + field + " address must not be unspecified, got " + a.String())
	}
	return nil
}

// validateSession checks a session to create in a tunnel of the given
// L2TP version.
func validateSession(s *Session, version uint8) error {
	if s.ID == 0 {
		return invalid("session: ID must not be zero")
	}
	p := "session " + text.Itoa(s.ID)
	switch {
	case s.TunnelID == 0:
		return invalid(p + ": TunnelID must not be zero")
	case s.PeerID == 0:
		return invalid(p + ": PeerID must not be zero")
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
		return invalid(p + ": L2Spec must be " + L2SpecNone.String() + " or " + L2SpecDefault.String() + ", got " + s.L2Spec.String())
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
			return invalid(p + ": ID must be at most 65535 for L2TPv2, got " + text.Itoa(s.ID))
		case s.PeerID > maxV2ID:
			return invalid(p + ": PeerID must be at most 65535 for L2TPv2, got " + text.Itoa(s.PeerID))
		case s.TunnelID > maxV2ID:
			return invalid(p + ": TunnelID must be at most 65535 for L2TPv2, got " + text.Itoa(s.TunnelID))
		case s.Pseudowire != PseudowirePPP:
			return invalid(p + ": Pseudowire must be " + PseudowirePPP.String() + " in L2TPv2 tunnel " + text.Itoa(s.TunnelID) + ", got " + s.Pseudowire.String())
		case len(s.Cookie) != 0:
			return invalid(p + ": Cookie is L2TPv3 only, but tunnel " + text.Itoa(s.TunnelID) + " is L2TPv2")
		case len(s.PeerCookie) != 0:
			return invalid(p + ": PeerCookie is L2TPv3 only, but tunnel " + text.Itoa(s.TunnelID) + " is L2TPv2")
		case s.L2Spec != L2SpecNone:
			return invalid(p + ": L2Spec is L2TPv3 only, but tunnel " + text.Itoa(s.TunnelID) + " is L2TPv2")
		case s.InterfaceName != "":
			return invalid(p + ": InterfaceName is L2TPv3 only (pppd names L2TPv2 interfaces), but tunnel " + text.Itoa(s.TunnelID) + " is L2TPv2")
		}
	}
	return nil
}

func checkPseudowire(p string, pw PseudowireType) error {
	switch pw {
	case PseudowireEthVLAN, PseudowireEth, PseudowirePPP, PseudowirePPPAC, PseudowireIP:
		return nil
	case PseudowireNone:
		return invalid(p + ": Pseudowire must be set (" + PseudowireEth.String() + " or " + PseudowirePPP.String() + ")")
	}
	return invalid(p + ": Pseudowire " + text.Itoa(uint16(pw)) + " is not a known pseudowire type")
}

func checkCookie(p, field string, c []byte) error {
	if n := len(c); n != 0 && n != 4 && n != 8 {
		return invalid(p + ": " + field + " must be 4 or 8 bytes, got " + text.Itoa(n))
	}
	return nil
}

func checkReorder(p string, d time.Duration) error {
	switch {
	case d < 0:
		return invalid(p + ": ReorderTimeout must not be negative, got " + d.String())
	case d > 0 && d < time.Millisecond:
		return invalid(p + ": ReorderTimeout must be zero or at least 1ms (the kernel counts milliseconds), got " + d.String())
	}
	return nil
}

// checkIfname applies the kernel's rules for interface names
// (dev_valid_name).
func checkIfname(p, name string) error {
	switch {
	case name == "":
		return invalid(p + ": InterfaceName must not be empty")
	case len(name) > maxIfname:
		return invalid(p + ": InterfaceName must be at most 15 bytes, got " + text.Itoa(len(name)) + " (" + strconv.Quote(name) + ")")
	case name == "." || name == "..":
		return invalid(p + ": InterfaceName must not be " + strconv.Quote(name))
	}
	for _, r := range name {
		switch {
		case r == 0:
			return invalid(p + ": InterfaceName must not contain NUL, got " + strconv.Quote(name))
		case r == '/' || r == ':':
			return invalid(p + ": InterfaceName must not contain " + strconv.QuoteRune(r) + ", got " + strconv.Quote(name))
		case r == utf8.RuneError:
			return invalid(p + ": InterfaceName must be valid UTF-8, got " + strconv.Quote(name))
		case text.IsSpace(r):
			return invalid(p + ": InterfaceName must not contain whitespace, got " + strconv.Quote(name))
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
		return invalid("session: need TunnelID and ID, or InterfaceName")
	case tunnelID == 0:
		return invalid("session " + text.Itoa(id) + ": TunnelID must not be zero")
	case id == 0:
		return invalid("session in tunnel " + text.Itoa(tunnelID) + ": ID must not be zero")
	}
	return nil
}
