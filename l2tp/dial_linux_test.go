package l2tp

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestDialHost runs against the kernel the tests run on. Without L2TP it
// checks the error; with it, a NOOP round trip.
func TestDialHost(t *testing.T) {
	c, err := Dial(nil)
	if err != nil {
		if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, syscall.ENOENT) {
			t.Fatalf("Dial: got %v, want an error matching errors.ErrUnsupported and ENOENT", err)
		}
		if !strings.Contains(err.Error(), "load the l2tp_netlink kernel module") {
			t.Errorf("Dial: error %q does not say which module to load", err)
		}
		t.Skipf("this kernel has no L2TP: %v", err)
	}
	defer c.Close()
	if err := c.Noop(ctx); err != nil {
		t.Errorf("Noop: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := c.Noop(ctx); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Noop after Close: got %v, want net.ErrClosed", err)
	}
}

func TestDialBadNetNS(t *testing.T) {
	_, err := Dial(&Config{NetNSPath: "/nonexistent/netns"})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Dial in a missing namespace: got %v, want os.ErrNotExist", err)
	}
}

func TestNewTunnelSocketUDP(t *testing.T) {
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	pa := peer.LocalAddr().(*net.UDPAddr).AddrPort()
	f, err := NewTunnelSocket(Tunnel{ID: 1, PeerID: 2, Version: 2,
		Local: netip.MustParseAddr("127.0.0.1"), Remote: pa.Addr(), RemotePort: pa.Port()})
	if err != nil {
		t.Fatalf("NewTunnelSocket: %v", err)
	}
	defer f.Close()
	// The socket is connected: what it writes reaches the peer.
	if _, err := f.Write([]byte("hello")); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, 16)
	n, from, err := peer.ReadFromUDPAddrPort(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("peer read %q, %v", buf[:n], err)
	}
	sa, err := syscallGetsockname(f)
	if err != nil {
		t.Fatal(err)
	}
	if sa.Port() != from.Port() || sa.Port() == 0 {
		t.Errorf("bound to port %d, the peer saw %d", sa.Port(), from.Port())
	}
}

func TestNewTunnelSocketIP(t *testing.T) {
	f, err := NewTunnelSocket(Tunnel{ID: 1, PeerID: 2, Version: 3, Encap: EncapIP,
		Local: netip.MustParseAddr("127.0.0.1"), Remote: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		if errors.Is(err, syscall.EPROTONOSUPPORT) || errors.Is(err, syscall.EAFNOSUPPORT) || errors.Is(err, syscall.ESOCKTNOSUPPORT) {
			t.Skipf("this kernel has no IPPROTO_L2TP sockets: %v", err)
		}
		t.Fatalf("NewTunnelSocket: %v", err)
	}
	f.Close()
}

func TestNewTunnelSocketInvalid(t *testing.T) {
	_, err := NewTunnelSocket(Tunnel{ID: 1, PeerID: 2, Version: 3, Local: netip.MustParseAddr("127.0.0.1")})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("got %v, want ErrInvalid", err)
	}
}

func syscallGetsockname(f *os.File) (netip.AddrPort, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return netip.AddrPort{}, err
	}
	var sa syscall.Sockaddr
	var serr error
	if err := rc.Control(func(fd uintptr) { sa, serr = syscall.Getsockname(int(fd)) }); err != nil {
		return netip.AddrPort{}, err
	}
	if serr != nil {
		return netip.AddrPort{}, serr
	}
	in4 := sa.(*syscall.SockaddrInet4)
	return netip.AddrPortFrom(netip.AddrFrom4(in4.Addr), uint16(in4.Port)), nil
}
