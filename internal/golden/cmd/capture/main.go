//go:build linux

// Command capture runs inside a test VM (see internal/golden/cmd/golden):
// it creates an nlmon interface, opens a packet socket on it, runs a
// scripted set of L2TP operations — through iproute2's `ip l2tp` where it
// can, through package l2tp or hand-made messages for the rest — and
// prints, for each operation, the L2TP generic netlink frames it caused as
// one JSON line on standard output (see package golden).
//
// It needs root, the l2tp, l2tp_eth, l2tp_ip, l2tp_ip6 and nlmon modules,
// and /usr/bin/ip.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/nl2tp/nl2tp/internal/golden"
	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
	"github.com/nl2tp/nl2tp/l2tp"
	"github.com/nl2tp/nl2tp/netlinkraw"
	"golang.org/x/sys/unix"
)

const ipBin = "/usr/bin/ip"

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "capture: %v\n", err)
		os.Exit(1)
	}
}

// L2TP generic netlink numbers (linux/l2tp.h), for the hand-made requests.
const (
	cmdTunnelCreate  = 1
	cmdSessionCreate = 5
	cmdTunnelGet     = 4
	cmdSessionGet    = 8

	attrPWType        = 1
	attrIfname        = 8
	attrConnID        = 9
	attrSessionID     = 11
	attrPeerSessionID = 12
	attrCookie        = 15
	attrProtoVersion  = 7
)

type capture struct {
	fd     int // packet socket on nlmon0
	family uint16
	buf    []byte
	ctx    context.Context
	c      *l2tp.Conn
	raw    *netlinkraw.Conn // for hand-made requests
	events chan l2tp.Event  // from the subscription, while one is open
	out    *os.File
}

func run() error {
	ctx := context.Background()
	// No IPv6 on the session interfaces: router solicitations and MLD
	// reports would make the traffic counters depend on timing. lo keeps
	// its ::1.
	if err := os.WriteFile("/proc/sys/net/ipv6/conf/default/disable_ipv6", []byte("1\n"), 0o644); err != nil {
		return err
	}
	if out, err := exec.Command(ipBin, "link", "add", "nlmon0", "type", "nlmon").CombinedOutput(); err != nil {
		return fmt.Errorf("ip link add nlmon0 type nlmon: %v: %s", err, out)
	}
	if out, err := exec.Command(ipBin, "link", "set", "nlmon0", "up").CombinedOutput(); err != nil {
		return fmt.Errorf("ip link set nlmon0 up: %v: %s", err, out)
	}
	ifi, err := net.InterfaceByName("nlmon0")
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return fmt.Errorf("packet socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		return fmt.Errorf("packet socket: bind to nlmon0: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 64<<20); err != nil {
		return fmt.Errorf("packet socket: SO_RCVBUFFORCE: %w", err)
	}

	raw, err := netlinkraw.Dial(unix.NETLINK_GENERIC, nil)
	if err != nil {
		return err
	}
	fam, err := raw.ResolveFamily(ctx, "l2tp")
	if err != nil {
		return err
	}
	c, err := l2tp.Dial(nil)
	if err != nil {
		return err
	}
	defer c.Close()
	var uts unix.Utsname
	unix.Uname(&uts)
	ipv, _ := exec.Command(ipBin, "-V").CombinedOutput()
	info := golden.Info{Release: unix.ByteSliceToString(uts.Release[:]), FamilyID: fam.ID, IP: strings.TrimSpace(string(ipv))}
	for _, g := range fam.Groups {
		if g.Name == "l2tp" {
			info.Group = g.ID
		}
	}
	cp := &capture{fd: fd, family: fam.ID, buf: make([]byte, 1<<20), ctx: ctx, c: c, raw: raw, out: os.Stdout}
	line, err := guest.MarkedLine(golden.MarkInfo, info)
	if err != nil {
		return err
	}
	if _, err := cp.drain(); err != nil { // what the setup caused
		return err
	}
	fmt.Fprint(cp.out, "\n"+line)
	for _, op := range script(cp) {
		if err := cp.do(op); err != nil {
			return fmt.Errorf("%s: %w", op.name, err)
		}
	}
	return nil
}

// An op is one step of the script.
type op struct {
	name   string
	tool   string // ip, nl2tp or raw
	detail string
	keep   bool
	// want is the error the step must end with: nil for success,
	// errAny for any failure (ip's exit status), else an errno that
	// errors.Is must match.
	want error
	// either accepts success and failure alike.
	either bool
	// event is the event kind the step must cause, if any.
	event l2tp.EventKind
	run   func() (string, error)
	check func(frames []golden.Frame) error
}

var errAny = errors.New("any error")

func (cp *capture) do(o op) error {
	if _, err := cp.drain(); err != nil {
		return err
	}
	out, err := o.run()
	if err := cp.checkResult(o, err); err != nil {
		frames, _ := cp.drain()
		var kinds []string
		for _, f := range frames {
			kinds = append(kinds, fmt.Sprintf("%s % x", f.Kind, f.Data[:min(len(f.Data), 64)]))
		}
		return fmt.Errorf("%w; output %q; frames:\n%s\n%s", err, out, strings.Join(kinds, "\n"), summary(frames))
	}
	if o.event != 0 {
		select {
		case ev := <-cp.events:
			if ev.Kind != o.event {
				return fmt.Errorf("got event %v, want %v", ev.Kind, o.event)
			}
		case <-time.After(5 * time.Second):
			return fmt.Errorf("no %v event", o.event)
		}
	}
	frames, err := cp.drain()
	if err != nil {
		return err
	}
	if o.check != nil {
		if err := o.check(frames); err != nil {
			return err
		}
	}
	if len(frames) == 0 && o.keep {
		return errors.New("captured no L2TP frame")
	}
	rec := golden.Op{Name: o.name, Tool: o.tool, Detail: o.detail, Keep: o.keep, Frames: frames, Output: out}
	if !o.keep {
		rec.Frames = nil
	}
	line, err := guest.MarkedLine(golden.MarkOp, rec)
	if err != nil {
		return err
	}
	fmt.Fprint(cp.out, "\n"+line)
	fmt.Fprintf(os.Stderr, "capture: %s: %d frames:%s\n", o.name, len(frames), summary(frames))
	return nil
}

// checkResult compares a step's error with the one it wants.
func (cp *capture) checkResult(o op, err error) error {
	switch {
	case o.either:
		return nil
	case o.want == nil && err != nil:
		return fmt.Errorf("unexpected error: %w", err)
	case o.want != nil && err == nil:
		return fmt.Errorf("succeeded, want an error (%v)", o.want)
	case o.want != nil && o.want != errAny && !errors.Is(err, o.want):
		return fmt.Errorf("got error %v, want %v", err, o.want)
	}
	return nil
}

// drain reads every frame queued on the nlmon packet socket, without
// waiting, and returns the L2TP ones: requests to the l2tp family, the
// kernel's replies, events, and the ACKs, errors and NLMSG_DONE answering
// those requests. Frames of other families (rtnetlink, nlctrl) are left
// out. Everything the kernel does for a request happens before the
// request's system call returns (dump parts are made in recvmsg), so after
// the step the queue holds all of it.
func (cp *capture) drain() ([]golden.Frame, error) {
	var frames []golden.Frame
	reqs := map[uint32]bool{} // sequence numbers of L2TP requests
	for {
		n, from, err := unix.Recvfrom(cp.fd, cp.buf, unix.MSG_DONTWAIT|unix.MSG_TRUNC)
		if err == unix.EAGAIN {
			return frames, nil
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("nlmon: recvfrom: %w", err)
		}
		if n > len(cp.buf) {
			return nil, fmt.Errorf("nlmon: frame of %d bytes truncated", n)
		}
		ll, ok := from.(*unix.SockaddrLinklayer)
		if !ok || ll.Protocol != htons(unix.NETLINK_GENERIC) {
			continue
		}
		data := bytes.Clone(cp.buf[:n])
		kind, err := cp.classify(data, reqs)
		if err != nil {
			return nil, err
		}
		if kind != "" {
			frames = append(frames, golden.Frame{Kind: kind, Data: data})
		}
	}
}

// classify names an L2TP frame's kind, or returns "" for other frames.
// The frame must start with a netlink header: nlmon frames carry the
// message itself, no link-layer header (ARPHRD_NETLINK).
func (cp *capture) classify(data []byte, reqs map[uint32]bool) (string, error) {
	var d netlinkraw.MessageDecoder
	d.Reset(data)
	var hs []netlinkraw.Header
	var cmds []uint8
	for d.Next() {
		h := d.Header()
		hs = append(hs, h)
		cmd := uint8(0)
		if h.Type == cp.family {
			gh, _, err := netlinkraw.ParseGenlHeader(d.Payload())
			if err != nil {
				return "", fmt.Errorf("nlmon: %w", err)
			}
			cmd = gh.Command
		}
		cmds = append(cmds, cmd)
		if h.Type == netlinkraw.TypeError {
			if len(d.Payload()) < 4 {
				return "", fmt.Errorf("nlmon: short NLMSG_ERROR")
			}
			if binary.NativeEndian.Uint32(d.Payload()) == 0 {
				cmds[len(cmds)-1] = 0
			} else {
				cmds[len(cmds)-1] = 1
			}
		}
	}
	if err := d.Err(); err != nil {
		return "", fmt.Errorf("nlmon: frame does not start with netlink messages: %w (% x)", err, data[:min(len(data), 32)])
	}
	if len(hs) == 0 {
		return "", nil
	}
	if hs[0].Flags&netlinkraw.FlagRequest != 0 { // user space to kernel
		if hs[0].Type != cp.family {
			return "", nil
		}
		for _, h := range hs {
			reqs[h.Seq] = true
		}
		return golden.KindRequest, nil
	}
	kind := ""
	for i, h := range hs {
		switch {
		case h.Type == cp.family && (cmds[i] == cmdTunnelGet || cmds[i] == cmdSessionGet):
			kind = golden.KindReply
		case h.Type == cp.family:
			return golden.KindEvent, nil
		case h.Type == netlinkraw.TypeDone && reqs[h.Seq] && kind == "":
			kind = golden.KindDone
		case h.Type == netlinkraw.TypeError && reqs[h.Seq] && kind == "":
			kind = golden.KindAck
			if cmds[i] != 0 {
				kind = golden.KindError
			}
		}
	}
	return kind, nil
}

// summary describes frames in one line for the console: kind, then type,
// flags and sequence number of each message, and the errno of errors.
func summary(frames []golden.Frame) string {
	var b strings.Builder
	for _, f := range frames {
		fmt.Fprintf(&b, " [%s", f.Kind)
		var d netlinkraw.MessageDecoder
		d.Reset(f.Data)
		for d.Next() {
			h := d.Header()
			fmt.Fprintf(&b, " t%d/f%#x/s%d", h.Type, h.Flags, h.Seq)
			if h.Type == netlinkraw.TypeError && len(d.Payload()) >= 4 {
				fmt.Fprintf(&b, "/e%d", int32(binary.NativeEndian.Uint32(d.Payload())))
			}
		}
		b.WriteString("]")
	}
	return b.String()
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// ip runs /usr/bin/ip with args and returns its output; a non-zero exit
// is an error holding the output.
func ip(args ...string) (string, error) {
	out, err := exec.Command(ipBin, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

func ipOp(name string, keep bool, want error, args ...string) op {
	return op{name: name, tool: "ip", detail: "ip " + strings.Join(args, " "), keep: keep, want: want,
		run: func() (string, error) { return ip(args...) }}
}

// rawRequest sends a hand-made L2TP request through netlinkraw.
func (cp *capture) rawRequest(cmd uint8, build func(e *netlinkraw.Encoder)) error {
	var e netlinkraw.Encoder
	m := e.BeginMessage(cp.family, 0, 0, 0)
	e.GenlHeader(cmd, 1)
	build(&e)
	e.EndMessage(m)
	msg, err := e.Encoded()
	if err != nil {
		return err
	}
	return cp.raw.Request(cp.ctx, msg, nil)
}

// sendFrames sends n Ethernet frames of size bytes out of the interface
// called ifname with a packet socket.
func sendFrames(ifname string, n, size int) error {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	frame := make([]byte, size)
	copy(frame, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5}) // dst, src, local experimental EtherType
	for i := 14; i < size; i++ {
		frame[i] = byte(i)
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(0x88b5), Ifindex: ifi.Index, Halen: 6, Addr: [8]byte{2, 0, 0, 0, 0, 2}}
	for range n {
		if err := unix.Sendto(fd, frame, 0, sa); err != nil {
			return fmt.Errorf("send on %s: %w", ifname, err)
		}
	}
	return nil
}

var (
	lo4 = netip.MustParseAddr("127.0.0.1")
	lo6 = netip.MustParseAddr("::1")
)

// Objects of the script. Tunnel 1 and 21 (UDP/IPv4) are each other's peer
// so that traffic sent on session 11's interface arrives in session 21.
const manySessions = 400

func script(cp *capture) []op {
	ctx, c := cp.ctx, cp.c
	nl := func(name string, keep bool, want error, detail string, fn func() error) op {
		return op{name: name, tool: "nl2tp", detail: detail, keep: keep, want: want,
			run: func() (string, error) { return "", fn() }}
	}
	raw := func(name string, want error, detail string, cmd uint8, build func(e *netlinkraw.Encoder)) op {
		return op{name: name, tool: "raw", detail: detail, keep: true, want: want,
			run: func() (string, error) { return "", cp.rawRequest(cmd, build) }}
	}
	withEvent := func(o op, k l2tp.EventKind) op { o.event = k; return o }
	maybe := func(o op) op { o.either = true; return o }
	var sub *l2tp.Subscription
	ops := []op{
		// Tunnels, one of each kind.
		ipOp("tunnel_create_udp4", true, nil, "l2tp", "add", "tunnel", "tunnel_id", "1", "peer_tunnel_id", "21",
			"encap", "udp", "local", "127.0.0.1", "remote", "127.0.0.1", "udp_sport", "5001", "udp_dport", "6001", "udp_csum", "on"),
		ipOp("tunnel_create_udp4_peer", true, nil, "l2tp", "add", "tunnel", "tunnel_id", "21", "peer_tunnel_id", "1",
			"encap", "udp", "local", "127.0.0.1", "remote", "127.0.0.1", "udp_sport", "6001", "udp_dport", "5001"),
		ipOp("tunnel_create_udp6", true, nil, "l2tp", "add", "tunnel", "tunnel_id", "2", "peer_tunnel_id", "102",
			"encap", "udp", "local", "::1", "remote", "::1", "udp_sport", "5002", "udp_dport", "6002",
			"udp6_csum_tx", "off", "udp6_csum_rx", "off"),
		ipOp("tunnel_create_ip4", true, nil, "l2tp", "add", "tunnel", "tunnel_id", "3", "peer_tunnel_id", "103",
			"encap", "ip", "local", "127.0.0.1", "remote", "127.0.0.1"),
		ipOp("tunnel_create_ip6", true, nil, "l2tp", "add", "tunnel", "tunnel_id", "4", "peer_tunnel_id", "104",
			"encap", "ip", "local", "::1", "remote", "::1"),
		nl("tunnel_create_nl2tp", true, nil,
			"CreateTunnel(Tunnel{ID: 5, PeerID: 105, Version: 3, Encap: EncapUDP, Local: 127.0.0.1, Remote: 127.0.0.1, LocalPort: 5005, RemotePort: 6005})",
			func() error {
				_, err := c.CreateTunnel(ctx, l2tp.Tunnel{ID: 5, PeerID: 105, Version: 3, Encap: l2tp.EncapUDP,
					Local: lo4, Remote: lo4, LocalPort: 5005, RemotePort: 6005})
				return err
			}),

		// Sessions: with and without cookies, in each kind of tunnel.
		ipOp("session_create_cookies", true, nil, "l2tp", "add", "session", "name", "l2tpeth1", "tunnel_id", "1",
			"session_id", "11", "peer_session_id", "21", "cookie", "0102030405060708", "peer_cookie", "0a0b0c0d"),
		ipOp("session_create_cookies_peer", true, nil, "l2tp", "add", "session", "name", "l2tpeth21", "tunnel_id", "21",
			"session_id", "21", "peer_session_id", "11", "cookie", "0a0b0c0d", "peer_cookie", "0102030405060708"),
		ipOp("session_create_udp6", true, nil, "l2tp", "add", "session", "tunnel_id", "2", "session_id", "12", "peer_session_id", "22"),
		ipOp("session_create_ip4_seq", true, nil, "l2tp", "add", "session", "tunnel_id", "3", "session_id", "13",
			"peer_session_id", "23", "seq", "both", "l2spec_type", "none"),
		nl("session_create_nl2tp", true, nil,
			"CreateSession(Session{TunnelID: 4, ID: 14, PeerID: 24, Pseudowire: PseudowireEth, L2Spec: L2SpecDefault, Cookie: 11223344, PeerCookie: 5566778899aabbcc, RecvSeq: true, SendSeq: true, LNSMode: true, ReorderTimeout: 250ms, InterfaceName: \"golden0\"})",
			func() error {
				_, err := c.CreateSession(ctx, l2tp.Session{TunnelID: 4, ID: 14, PeerID: 24, Pseudowire: l2tp.PseudowireEth,
					L2Spec: l2tp.L2SpecDefault, Cookie: []byte{0x11, 0x22, 0x33, 0x44},
					PeerCookie: []byte{0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc},
					RecvSeq:    true, SendSeq: true, LNSMode: true, ReorderTimeout: 250 * time.Millisecond, InterfaceName: "golden0"})
				return err
			}),

		// Traffic: 5 frames of 100 bytes from l2tpeth1 to l2tpeth21, 3 of
		// 60 bytes back.
		{name: "traffic", tool: "packet socket", detail: "5 frames of 100 bytes sent on l2tpeth1, 3 of 60 bytes on l2tpeth21", run: func() (string, error) {
			for _, n := range []string{"l2tpeth1", "l2tpeth21"} {
				if out, err := ip("link", "set", n, "up"); err != nil {
					return out, err
				}
			}
			if err := sendFrames("l2tpeth1", 5, 100); err != nil {
				return "", err
			}
			if err := sendFrames("l2tpeth21", 3, 60); err != nil {
				return "", err
			}
			time.Sleep(500 * time.Millisecond)
			return "", nil
		}},

		// Gets and dumps.
		nl("tunnel_get_udp4", true, nil, "GetTunnel(1)", func() error { _, err := c.GetTunnel(ctx, 1); return err }),
		nl("tunnel_get_udp4_peer", true, nil, "GetTunnel(21)", func() error { _, err := c.GetTunnel(ctx, 21); return err }),
		nl("tunnel_get_udp6", true, nil, "GetTunnel(2)", func() error { _, err := c.GetTunnel(ctx, 2); return err }),
		nl("tunnel_get_ip4", true, nil, "GetTunnel(3)", func() error { _, err := c.GetTunnel(ctx, 3); return err }),
		nl("tunnel_get_ip6", true, nil, "GetTunnel(4)", func() error { _, err := c.GetTunnel(ctx, 4); return err }),
		ipOp("tunnel_dump", true, nil, "l2tp", "show", "tunnel"),
		ipOp("tunnel_dump_filtered", true, nil, "l2tp", "show", "tunnel", "tunnel_id", "3"),
		nl("tunnel_dump_nl2tp", true, nil, "ListTunnels()", func() error { _, err := c.ListTunnels(ctx); return err }),
		nl("session_get_cookies", true, nil, "GetSession(1, 11)", func() error { _, err := c.GetSession(ctx, 1, 11); return err }),
		nl("session_get_cookies_peer", true, nil, "GetSession(21, 21)", func() error { _, err := c.GetSession(ctx, 21, 21); return err }),
		nl("session_get_udp6", true, nil, "GetSession(2, 12)", func() error { _, err := c.GetSession(ctx, 2, 12); return err }),
		nl("session_get_ip4_seq", true, nil, "GetSession(3, 13)", func() error { _, err := c.GetSession(ctx, 3, 13); return err }),
		nl("session_get_byname", true, nil, "GetSessionByName(\"golden0\")", func() error { _, err := c.GetSessionByName(ctx, "golden0"); return err }),
		ipOp("session_dump", true, nil, "l2tp", "show", "session"),
		nl("session_dump_nl2tp", true, nil, "ListSessions(SessionFilter{})", func() error { _, err := c.ListSessions(ctx, l2tp.SessionFilter{}); return err }),

		// Events: subscribe, then one of each kind.
		{name: "subscribe", tool: "nl2tp", detail: "Events()", run: func() (string, error) {
			var err error
			sub, err = c.Events(ctx)
			if err != nil {
				return "", err
			}
			cp.events = make(chan l2tp.Event, 16)
			go func() {
				for ev, err := range sub.All() {
					if err == nil {
						cp.events <- ev
					}
				}
			}()
			return "", nil
		}},
		withEvent(ipOp("event_tunnel_create", true, nil, "l2tp", "add", "tunnel", "tunnel_id", "6", "peer_tunnel_id", "106",
			"encap", "udp", "local", "127.0.0.1", "remote", "127.0.0.1", "udp_sport", "5006", "udp_dport", "6006"), l2tp.EventTunnelCreate),
		withEvent(ipOp("event_session_create", true, nil, "l2tp", "add", "session", "name", "event0", "tunnel_id", "6",
			"session_id", "16", "peer_session_id", "26"), l2tp.EventSessionCreate),
		withEvent(nl("event_session_modify", true, nil, "ModifySession(Session{TunnelID: 6, ID: 16, SendSeq: true, RecvSeq: true, ReorderTimeout: 100ms})",
			func() error {
				return c.ModifySession(ctx, l2tp.Session{TunnelID: 6, ID: 16, SendSeq: true, RecvSeq: true, ReorderTimeout: 100 * time.Millisecond})
			}), l2tp.EventSessionModify),
		withEvent(nl("event_tunnel_modify", true, nil, "ModifyTunnel(6, 0)", func() error { return c.ModifyTunnel(ctx, 6, 0) }), l2tp.EventTunnelModify),
		withEvent(ipOp("event_session_delete", true, nil, "l2tp", "del", "session", "tunnel_id", "6", "session_id", "16"), l2tp.EventSessionDelete),
		withEvent(ipOp("event_tunnel_delete", true, nil, "l2tp", "del", "tunnel", "tunnel_id", "6"), l2tp.EventTunnelDelete),
		{name: "unsubscribe", tool: "nl2tp", detail: "Subscription.Close()", run: func() (string, error) { return "", sub.Close() }},

		// Errors.
		ipOp("error_tunnel_exists", true, errAny, "l2tp", "add", "tunnel", "tunnel_id", "1", "peer_tunnel_id", "21",
			"encap", "udp", "local", "127.0.0.1", "remote", "127.0.0.1", "udp_sport", "5101", "udp_dport", "6101"),
		// Session IDs of IP-encapsulated tunnels are unique in the
		// namespace on every kernel.
		ipOp("error_session_exists", true, errAny, "l2tp", "add", "session", "tunnel_id", "3", "session_id", "13", "peer_session_id", "23"),
		// A duplicate session ID in the same UDP tunnel: 6.1 refuses it;
		// the result is recorded, whichever it is.
		maybe(ipOp("session_create_duplicate_id", true, nil, "l2tp", "add", "session", "tunnel_id", "1", "session_id", "11", "peer_session_id", "21")),
		ipOp("session_dump_after_duplicate", true, nil, "l2tp", "show", "session"),
		ipOp("error_ifname_exists", true, errAny, "l2tp", "add", "session", "name", "l2tpeth21", "tunnel_id", "1",
			"session_id", "99", "peer_session_id", "99"),
		ipOp("error_tunnel_delete_missing", true, errAny, "l2tp", "del", "tunnel", "tunnel_id", "99"),
		ipOp("error_session_create_no_tunnel", true, errAny, "l2tp", "add", "session", "tunnel_id", "99", "session_id", "1", "peer_session_id", "1"),
		nl("error_tunnel_get_missing", true, syscall.ENODEV, "GetTunnel(99)", func() error { _, err := c.GetTunnel(ctx, 99); return err }),
		nl("error_session_get_missing", true, syscall.ENODEV, "GetSession(1, 99)", func() error { _, err := c.GetSession(ctx, 1, 99); return err }),
		raw("error_cookie_9", errAny, "SESSION_CREATE CONN_ID 1, SESSION_ID 98, PEER_SESSION_ID 98, PW_TYPE ETH, COOKIE 010203040506070809 (9 bytes)",
			cmdSessionCreate, func(e *netlinkraw.Encoder) {
				e.Uint32(attrConnID, 1)
				e.Uint32(attrSessionID, 98)
				e.Uint32(attrPeerSessionID, 98)
				e.Uint16(attrPWType, uint16(l2tp.PseudowireEth))
				e.Bytes(attrCookie, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9})
			}),
		raw("error_ifname_16", errAny, "SESSION_CREATE CONN_ID 1, SESSION_ID 97, PEER_SESSION_ID 97, PW_TYPE ETH, IFNAME \"abcdefghijklmnop\" (16 bytes)",
			cmdSessionCreate, func(e *netlinkraw.Encoder) {
				e.Uint32(attrConnID, 1)
				e.Uint32(attrSessionID, 97)
				e.Uint32(attrPeerSessionID, 97)
				e.Uint16(attrPWType, uint16(l2tp.PseudowireEth))
				e.String(attrIfname, "abcdefghijklmnop")
			}),
		raw("error_pw_ppp", syscall.EPROTONOSUPPORT, "SESSION_CREATE CONN_ID 1, SESSION_ID 96, PEER_SESSION_ID 96, PW_TYPE PPP",
			cmdSessionCreate, func(e *netlinkraw.Encoder) {
				e.Uint32(attrConnID, 1)
				e.Uint32(attrSessionID, 96)
				e.Uint32(attrPeerSessionID, 96)
				e.Uint16(attrPWType, uint16(l2tp.PseudowirePPP))
			}),
		raw("error_tunnel_create_no_id", syscall.EINVAL, "TUNNEL_CREATE PROTO_VERSION 3 only (no CONN_ID)",
			cmdTunnelCreate, func(e *netlinkraw.Encoder) {
				e.Uint8(attrProtoVersion, 3)
			}),

		// A dump spanning several receive buffers.
		nl("setup_many_sessions", false, nil, fmt.Sprintf("CreateSessions: %d sessions 1000.. in tunnel 5", manySessions), func() error {
			ss := make([]l2tp.Session, manySessions)
			for i := range ss {
				ss[i] = l2tp.Session{TunnelID: 5, ID: uint32(1000 + i), PeerID: uint32(3000 + i), Pseudowire: l2tp.PseudowireEth}
			}
			errs, err := c.CreateSessions(ctx, ss)
			if err != nil {
				return err
			}
			return errors.Join(errs...)
		}),
	}
	many := nl("session_dump_many", true, nil, fmt.Sprintf("ListSessions(SessionFilter{}) with %d sessions in tunnel 5 besides the others", manySessions),
		func() error {
			ss, err := c.ListSessions(ctx, l2tp.SessionFilter{})
			if err == nil && len(ss) < manySessions {
				err = fmt.Errorf("listed %d sessions, want at least %d", len(ss), manySessions)
			}
			return err
		})
	many.check = func(frames []golden.Frame) error {
		n := 0
		for _, f := range frames {
			if f.Kind == golden.KindReply {
				n++
			}
		}
		if n < 2 {
			return fmt.Errorf("the dump came in %d datagram(s), want several", n)
		}
		return nil
	}
	return append(ops, many)
}
