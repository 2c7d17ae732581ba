package kerneltest

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// UDPEchoServer starts a UDP echo server in ns, bound to addr (port 0 picks
// a free port), and returns the address it listens on. It echoes every
// datagram back to its sender until the test ends.
func UDPEchoServer(tb testing.TB, ns *NetNS, addr netip.AddrPort) netip.AddrPort {
	tb.Helper()
	var conn *net.UDPConn
	err := ns.Do(func() error {
		var err error
		conn, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
		return err
	})
	if err != nil {
		tb.Fatalf("kerneltest: UDP echo server on %v: %v", addr, err)
	}
	done := make(chan struct{})
	tb.Cleanup(func() {
		conn.Close()
		<-done
	})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return // closed
			}
			conn.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	return netip.AddrPortFrom(addr.Addr(), uint16(conn.LocalAddr().(*net.UDPAddr).Port))
}

// UDPPing sends n datagrams of size bytes (at least 16) from a socket in ns
// to dst, one at a time, each waiting up to timeout for its echo, and
// returns how many came back intact. Only a failure to set up or use the
// socket is an error; lost datagrams just lower the count.
func UDPPing(ns *NetNS, dst netip.AddrPort, n, size int, timeout time.Duration) (int, error) {
	if size < 16 {
		size = 16
	}
	var conn *net.UDPConn
	network := "udp4"
	if dst.Addr().Is6() && !dst.Addr().Is4In6() {
		network = "udp6"
	}
	err := ns.Do(func() error {
		var err error
		conn, err = net.DialUDP(network, nil, net.UDPAddrFromAddrPort(dst))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("kerneltest: UDP ping %v: %w", dst, err)
	}
	defer conn.Close()
	var token [8]byte
	rand.Read(token[:])
	msg := make([]byte, size)
	buf := make([]byte, size+1)
	got := 0
	for i := range n {
		copy(msg, token[:])
		binary.BigEndian.PutUint64(msg[8:], uint64(i))
		for j := 16; j < size; j++ {
			msg[j] = byte(i + j)
		}
		if _, err := conn.Write(msg); err != nil {
			// ICMP errors from earlier datagrams surface here; they mean
			// this datagram is lost too.
			if isICMPError(err) {
				continue
			}
			return got, fmt.Errorf("kerneltest: UDP ping %v: %w", dst, err)
		}
		deadline := time.Now().Add(timeout)
		for {
			conn.SetReadDeadline(deadline)
			m, err := conn.Read(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				if isICMPError(err) && time.Now().Before(deadline) {
					continue // keep waiting for this echo
				}
				break
			}
			if m == size && bytes.Equal(buf[:m], msg) {
				got++
				break
			}
			// A late echo of an earlier datagram: keep waiting.
		}
	}
	return got, nil
}

// isICMPError reports whether err is an error an ICMP message queued on a
// connected UDP socket.
func isICMPError(err error) bool {
	for _, e := range []error{unix.ECONNREFUSED, unix.EHOSTUNREACH, unix.ENETUNREACH, unix.EHOSTDOWN, unix.ENETDOWN} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
