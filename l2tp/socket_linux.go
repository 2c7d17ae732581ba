package l2tp

import (
	"os"

	"github.com/nl2tp/nl2tp/internal/text"
	// The one use of x/sys/unix outside netlinkraw: sockaddr_l2tpip and
	// the socket options a managed tunnel's socket needs are not in the
	// standard library.
	"golang.org/x/sys/unix"
)

// NewTunnelSocket makes the socket for a managed tunnel, as the kernel
// wants it: a datagram socket of t's address family, IPPROTO_UDP for
// EncapUDP or IPPROTO_L2TP for EncapIP, bound to t.Local (and t.LocalPort,
// or for IP encapsulation to tunnel ID t.ID) and connected to t.Remote (and
// t.RemotePort, or peer tunnel ID t.PeerID). Its checksum settings follow
// t: without t.UDPChecksum an IPv4 UDP socket sends no checksums, as a
// static tunnel would; t.UDPZeroChecksum6TX and t.UDPZeroChecksum6RX set
// UDP_NO_CHECK6_TX and UDP_NO_CHECK6_RX.
//
// Pass the socket and t to Conn.CreateManagedTunnel. The tunnel lives as
// long as the socket: closing it destroys the tunnel. A daemon reads and
// writes its L2TP control messages on the same socket.
func NewTunnelSocket(t Tunnel) (*os.File, error) {
	if err := validateTunnel(&t, false); err != nil {
		return nil, err
	}
	fail := func(op string, err error) error {
		return text.Wrap("l2tp: tunnel "+text.Itoa(t.ID)+": socket: ", os.NewSyscallError(op, err), "")
	}
	family, proto := unix.AF_INET, unix.IPPROTO_UDP
	if t.Local.Is6() {
		family = unix.AF_INET6
	}
	if t.Encap == EncapIP {
		proto = unix.IPPROTO_L2TP
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, fail("socket", err)
	}
	f := os.NewFile(uintptr(fd), "l2tp-tunnel-"+text.Itoa(t.ID))
	var local, remote unix.Sockaddr
	switch {
	case t.Encap == EncapIP && family == unix.AF_INET:
		local = &unix.SockaddrL2TPIP{Addr: t.Local.As4(), ConnId: t.ID}
		remote = &unix.SockaddrL2TPIP{Addr: t.Remote.As4(), ConnId: t.PeerID}
	case t.Encap == EncapIP:
		local = &unix.SockaddrL2TPIP6{Addr: t.Local.As16(), ConnId: t.ID}
		remote = &unix.SockaddrL2TPIP6{Addr: t.Remote.As16(), ConnId: t.PeerID}
	case family == unix.AF_INET:
		local = &unix.SockaddrInet4{Addr: t.Local.As4(), Port: int(t.LocalPort)}
		remote = &unix.SockaddrInet4{Addr: t.Remote.As4(), Port: int(t.RemotePort)}
		if !t.UDPChecksum {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_NO_CHECK, 1); err != nil {
				f.Close()
				return nil, fail("setsockopt SO_NO_CHECK", err)
			}
		}
	default:
		local = &unix.SockaddrInet6{Addr: t.Local.As16(), Port: int(t.LocalPort)}
		remote = &unix.SockaddrInet6{Addr: t.Remote.As16(), Port: int(t.RemotePort)}
		if t.UDPZeroChecksum6TX {
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_UDP, unix.UDP_NO_CHECK6_TX, 1); err != nil {
				f.Close()
				return nil, fail("setsockopt UDP_NO_CHECK6_TX", err)
			}
		}
		if t.UDPZeroChecksum6RX {
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_UDP, unix.UDP_NO_CHECK6_RX, 1); err != nil {
				f.Close()
				return nil, fail("setsockopt UDP_NO_CHECK6_RX", err)
			}
		}
	}
	if err := unix.Bind(fd, local); err != nil {
		f.Close()
		return nil, fail("bind", err)
	}
	if err := unix.Connect(fd, remote); err != nil {
		f.Close()
		return nil, fail("connect", err)
	}
	return f, nil
}
