//go:build linux

// Command kbench-vm is the half of `make kbench` that runs in a test VM
// (see package kbench). Without arguments it is the driver: for each
// variant and round it makes a fresh network namespace with lo up and a
// static UDP/IPv4 tunnel, starts the create phase and then the delete
// phase as processes inside that namespace, checks that the sessions and
// their interfaces appeared and went, and tears the namespace down. It
// prints one kbench.MarkResult line per variant and a kbench.MarkInfo
// line.
//
// As "kbench-vm phase VARIANT create|delete N TUNNEL" it is the measured
// process of the nl2tp variants: it creates or deletes sessions 1 to N of
// the tunnel in its own network namespace, and prints nothing unless it
// fails. With N = 0 it only dials (the start-up measurement). The ip-batch variant's measured process is ip itself.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nl2tp/nl2tp/internal/kbench"
	"github.com/nl2tp/nl2tp/internal/kerneltest"
	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
	"github.com/nl2tp/nl2tp/l2tp"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

func main() {
	ctx := context.Background()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "phase" {
		err = runPhase(ctx, os.Args[2:])
	} else {
		err = run(ctx, os.Args[1:], os.Stdout)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kbench-vm: %v\n", err)
		os.Exit(1)
	}
}

// The tunnel every round uses.
const tunnelID = 1

// The l2tp generic netlink numbers the raw-single variant encodes by hand
// (linux/l2tp.h).
const (
	cmdSessionCreate   = 5
	cmdSessionDelete   = 6
	attrPWType         = 1
	attrL2SpecType     = 5
	attrConnID         = 9
	attrSessionID      = 11
	attrPeerSessionID  = 12
	pwTypeEth          = 5
	genlFamilyVersion  = 1
	phaseCreate        = "create"
	phaseDelete        = "delete"
	phaseStartup       = "startup"
	settleTimeout      = 2 * time.Minute
	settlePollInterval = 2 * time.Millisecond
)

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("kbench-vm", flag.ContinueOnError)
	n := fs.Int("n", 1000, "`sessions` to create and delete")
	rounds := fs.Int("rounds", 3, "timed `rounds` per variant")
	variants := fs.String("variants", strings.Join(kbench.Variants, ","), "comma-separated `variants`")
	ipPath := fs.String("ip", "/usr/bin/ip", "iproute2's ip `program`")
	stracePath := fs.String("strace", "/usr/bin/strace", "strace `program`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 65535 {
		return fmt.Errorf("-n: sessions must be between 1 and 65535, got %d", *n)
	}
	if *rounds < 1 {
		return fmt.Errorf("-rounds: must be at least 1, got %d", *rounds)
	}
	var names []string
	for _, v := range strings.Split(*variants, ",") {
		v = strings.TrimSpace(v)
		if _, ok := kbench.Describe[v]; !ok {
			return fmt.Errorf("-variants: unknown variant %q (known: %s)", v, strings.Join(kbench.Variants, ", "))
		}
		names = append(names, v)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	b := &bench{n: *n, self: self, ip: *ipPath, strace: *stracePath}
	if err := b.writeIPBatches(); err != nil {
		return err
	}
	info := kbench.Info{Sessions: *n, Rounds: *rounds}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return fmt.Errorf("uname: %w", err)
	}
	info.Release = unix.ByteSliceToString(uts.Release[:])
	info.IP = firstLine(exec.Command(b.ip, "-V").CombinedOutput())
	info.Strace = firstLine(exec.Command(b.strace, "-V").CombinedOutput())

	results := make([]kbench.Result, len(names))
	for i, v := range names {
		results[i].Variant = v
	}
	// Warm up: start each variant's program once, so that the first
	// timed round does not pay for first use.
	if err := b.warmUp(names); err != nil {
		return err
	}
	// Rounds interleave the variants, so that a slow spell of the VM
	// hits them alike.
	for r := 0; r < *rounds; r++ {
		for i, v := range names {
			m, err := b.round(ctx, v, false)
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", v, r+1, err)
			}
			res := &results[i]
			res.Startup = append(res.Startup, m.startup)
			res.Create = append(res.Create, m.create)
			res.Delete = append(res.Delete, m.delete)
			res.Settle = append(res.Settle, m.settle)
			res.User = append(res.User, m.user)
			res.Sys = append(res.Sys, m.sys)
			fmt.Fprintf(os.Stderr, "kbench-vm: %s round %d: start-up %v, create %v, delete %v, settle %v\n", v, r+1,
				m.startup.Round(time.Millisecond), m.create.Round(time.Millisecond), m.delete.Round(time.Millisecond), m.settle.Round(time.Millisecond))
		}
	}
	for i, v := range names {
		m, err := b.round(ctx, v, true)
		if err != nil {
			return fmt.Errorf("%s, traced round: %w", v, err)
		}
		results[i].CreateCalls, results[i].DeleteCalls = m.createCalls, m.deleteCalls
	}
	line, err := guest.MarkedLine(kbench.MarkInfo, info)
	if err != nil {
		return err
	}
	io.WriteString(stdout, "\n"+line)
	for _, r := range results {
		line, err := guest.MarkedLine(kbench.MarkResult, r)
		if err != nil {
			return err
		}
		io.WriteString(stdout, line)
	}
	return nil
}

func firstLine(b []byte, err error) string {
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	l, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return l
}

type bench struct {
	n                int
	self, ip, strace string
	ipFiles          map[string]string // phase → ip -batch file
}

// writeIPBatches writes the ip -batch files of both phases.
func (b *bench) writeIPBatches() error {
	b.ipFiles = map[string]string{}
	for _, phase := range []string{phaseCreate, phaseDelete} {
		var s strings.Builder
		for id := 1; id <= b.n; id++ {
			if phase == phaseCreate {
				fmt.Fprintf(&s, "l2tp add session tunnel_id %d session_id %d peer_session_id %d\n", tunnelID, id, id)
			} else {
				fmt.Fprintf(&s, "l2tp del session tunnel_id %d session_id %d\n", tunnelID, id)
			}
		}
		p := "/tmp/kbench-ip-" + phase + ".batch"
		if err := os.WriteFile(p, []byte(s.String()), 0o644); err != nil {
			return err
		}
		b.ipFiles[phase] = p
	}
	return nil
}

// warmUp runs the start-up phase of each variant once, untimed.
func (b *bench) warmUp(variants []string) error {
	ns, err := newNetNS()
	if err != nil {
		return err
	}
	defer ns.Close()
	for _, v := range variants {
		if _, _, _, err := b.phase(ns, v, phaseStartup, false); err != nil {
			return fmt.Errorf("%s, warm-up: %w", v, err)
		}
	}
	return nil
}

// measurement is what one round of one variant measured.
type measurement struct {
	startup, create, delete  time.Duration
	settle                   time.Duration
	user, sys                time.Duration // of the create and delete processes
	createCalls, deleteCalls kbench.Counts
}

// round runs both phases of variant in a fresh network namespace, traced
// or timed.
func (b *bench) round(ctx context.Context, variant string, trace bool) (m measurement, err error) {
	ns, err := newNetNS()
	if err != nil {
		return m, err
	}
	// Closing the last reference destroys the namespace and whatever is
	// left in it; the deferred calls run in reverse order.
	defer ns.Close()
	c, err := l2tp.Dial(&l2tp.Config{NetNS: int(ns.Fd())})
	if err != nil {
		return m, err
	}
	defer c.Close()
	rt, err := netlinkraw.Dial(unix.NETLINK_ROUTE, &netlinkraw.Config{NetNS: int(ns.Fd())})
	if err != nil {
		return m, err
	}
	defer rt.Close()
	lo := netip.MustParseAddr("127.0.0.1")
	_, err = c.CreateTunnel(ctx, l2tp.Tunnel{ID: tunnelID, PeerID: tunnelID, Version: 3,
		Local: lo, Remote: lo, LocalPort: 5001, RemotePort: 6001})
	if err != nil {
		return m, err
	}
	defer func() {
		// Deleting the tunnel deletes any session left after a failure.
		if derr := c.DeleteTunnel(ctx, tunnelID); derr != nil && err == nil {
			err = derr
		}
	}()

	if !trace {
		// The process with nothing to do: start-up and, for the nl2tp
		// variants, dialling and resolving the family.
		if m.startup, _, _, err = b.phase(ns, variant, phaseStartup, false); err != nil {
			return m, err
		}
	}
	var cpu [2]usage
	if m.create, m.createCalls, cpu[0], err = b.phase(ns, variant, phaseCreate, trace); err != nil {
		return m, err
	}
	sessions, links, err := count(ctx, c, rt)
	if err != nil {
		return m, err
	}
	if sessions != b.n || links != b.n+1 {
		return m, fmt.Errorf("after the create phase: %d sessions and %d interfaces, want %d and %d (with lo)", sessions, links, b.n, b.n+1)
	}
	if m.delete, m.deleteCalls, cpu[1], err = b.phase(ns, variant, phaseDelete, trace); err != nil {
		return m, err
	}
	m.user, m.sys = cpu[0].user+cpu[1].user, cpu[0].sys+cpu[1].sys
	start := time.Now()
	for {
		sessions, links, err := count(ctx, c, rt)
		if err != nil {
			return m, err
		}
		if sessions == 0 && links == 1 {
			break
		}
		if time.Since(start) > settleTimeout {
			return m, fmt.Errorf("%v after the delete phase: still %d sessions and %d interfaces (with lo)", settleTimeout, sessions, links)
		}
		time.Sleep(settlePollInterval)
	}
	m.settle = time.Since(start)
	return m, nil
}

// count returns the number of L2TP sessions and of network interfaces
// (lo included) in the namespace. A dump that the kernel reports as
// interrupted, as the link dump is while interfaces go away, is retried.
func count(ctx context.Context, c *l2tp.Conn, rt *netlinkraw.Conn) (sessions, links int, err error) {
	for range 1000 {
		sessions, links, err = countOnce(ctx, c, rt)
		if !errors.Is(err, netlinkraw.ErrDumpInterrupted) {
			break
		}
		time.Sleep(settlePollInterval)
	}
	return sessions, links, err
}

func countOnce(ctx context.Context, c *l2tp.Conn, rt *netlinkraw.Conn) (sessions, links int, err error) {
	ss, err := c.ListSessions(ctx, l2tp.SessionFilter{})
	if err != nil {
		return 0, 0, err
	}
	var e netlinkraw.Encoder
	msg := e.BeginMessage(unix.RTM_GETLINK, 0, 0, 0)
	e.Raw(make([]byte, unix.SizeofIfInfomsg))
	e.EndMessage(msg)
	req, err := e.Encoded()
	if err != nil {
		return 0, 0, err
	}
	err = rt.Dump(ctx, req, func(h netlinkraw.Header, _ []byte) error {
		if h.Type == unix.RTM_NEWLINK {
			links++
		}
		return nil
	})
	return len(ss), links, err
}

// usage is the CPU time of a process.
type usage struct{ user, sys time.Duration }

// phase runs one phase of variant as a process in ns and returns its wall
// time and CPU time, or, traced, its netlink system calls.
func (b *bench) phase(ns *os.File, variant, phase string, trace bool) (time.Duration, kbench.Counts, usage, error) {
	var argv []string
	n := b.n
	if phase == phaseStartup {
		phase, n = phaseCreate, 0
	}
	if variant == kbench.IPBatch {
		argv = []string{b.ip, "-batch", b.ipFiles[phase]}
		if n == 0 {
			argv[2] = "/dev/null"
		}
	} else {
		argv = []string{b.self, "phase", variant, phase, strconv.Itoa(n), strconv.Itoa(tunnelID)}
	}
	traceFile := "/tmp/kbench-" + variant + "-" + phase + ".strace"
	if trace {
		argv = append([]string{b.strace, "-f", "-yy", "-o", traceFile,
			"-e", "trace=sendmsg,sendto,sendmmsg,write,writev,recvmsg,recvfrom,recvmmsg,read,readv", "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	start, err := startIn(ns, cmd)
	if err != nil {
		return 0, kbench.Counts{}, usage{}, err
	}
	err = cmd.Wait()
	d := time.Since(start)
	if err != nil {
		return 0, kbench.Counts{}, usage{}, fmt.Errorf("%s phase: %s: %w", phase, strings.Join(argv, " "), err)
	}
	u := usage{cmd.ProcessState.UserTime(), cmd.ProcessState.SystemTime()}
	if !trace {
		return d, kbench.Counts{}, u, nil
	}
	f, err := os.Open(traceFile)
	if err != nil {
		return 0, kbench.Counts{}, usage{}, err
	}
	defer os.Remove(traceFile)
	defer f.Close()
	counts, err := kbench.CountNetlink(bufio.NewReader(f))
	return d, counts, u, err
}

// startIn starts cmd inside the network namespace ns: the child of a
// thread inherits the thread's namespace. It returns when cmd started.
func startIn(ns *os.File, cmd *exec.Cmd) (time.Time, error) {
	var start time.Time
	err := kerneltest.InNetNS(int(ns.Fd()), func() error {
		start = time.Now()
		return cmd.Start()
	})
	return start, err
}

// newNetNS makes a network namespace with lo up and returns a descriptor
// that keeps it alive; closing it (and ending the processes in it)
// destroys it.
func newNetNS() (*os.File, error) { return kerneltest.UnshareNetNS(guest.LoopbackUp) }

// runPhase is the measured process of the nl2tp variants.
func runPhase(ctx context.Context, args []string) error {
	if len(args) != 4 {
		return errors.New("usage: kbench-vm phase VARIANT create|delete N TUNNEL")
	}
	variant, phase := args[0], args[1]
	n, err := strconv.ParseUint(args[2], 10, 32)
	if err != nil {
		return fmt.Errorf("phase: N %q must be a number", args[2])
	}
	tid, err := strconv.ParseUint(args[3], 10, 32)
	if err != nil || tid == 0 {
		return fmt.Errorf("phase: TUNNEL %q must be a positive number", args[3])
	}
	if phase != phaseCreate && phase != phaseDelete {
		return fmt.Errorf("phase: %q must be %s or %s", phase, phaseCreate, phaseDelete)
	}
	sessions := make([]l2tp.Session, n)
	for i := range sessions {
		id := uint32(i + 1)
		sessions[i] = l2tp.Session{TunnelID: uint32(tid), ID: id, PeerID: id, Pseudowire: l2tp.PseudowireEth}
	}
	if variant == kbench.RawSingle {
		return rawPhase(ctx, phase, sessions)
	}
	c, err := l2tp.Dial(nil)
	if err != nil {
		return err
	}
	defer c.Close()
	create := phase == phaseCreate
	switch variant {
	case kbench.Single, kbench.SingleLean:
		for _, s := range sessions {
			switch {
			case !create:
				err = c.DeleteSession(ctx, s.TunnelID, s.ID)
			case variant == kbench.Single:
				_, err = c.CreateSession(ctx, s)
			default:
				err = firstErr(c.CreateSessions(ctx, []l2tp.Session{s}))
			}
			if err != nil {
				return err
			}
		}
		return nil
	case kbench.Batch:
		if create {
			return firstErr(c.CreateSessions(ctx, sessions))
		}
		return firstErr(c.DeleteSessions(ctx, sessions))
	}
	return fmt.Errorf("phase: unknown variant %q", variant)
}

// firstErr returns the first error of a batch call's results.
func firstErr(results []error, err error) error {
	if err != nil {
		return err
	}
	for _, e := range results {
		if e != nil {
			return e
		}
	}
	return nil
}

// rawPhase sends one hand-encoded request per session and waits for its
// ACK before the next, as iproute2 does.
func rawPhase(ctx context.Context, phase string, sessions []l2tp.Session) error {
	c, err := netlinkraw.Dial(unix.NETLINK_GENERIC, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	fam, err := c.ResolveFamily(ctx, "l2tp")
	if err != nil {
		return err
	}
	var e netlinkraw.Encoder
	buf := make([]byte, 0, 128)
	for _, s := range sessions {
		e.Reset(buf)
		m := e.BeginMessage(fam.ID, 0, 0, 0)
		if phase == phaseCreate {
			e.GenlHeader(cmdSessionCreate, genlFamilyVersion)
			e.Uint32(attrConnID, s.TunnelID)
			e.Uint32(attrSessionID, s.ID)
			e.Uint32(attrPeerSessionID, s.PeerID)
			e.Uint16(attrPWType, pwTypeEth)
			e.Uint8(attrL2SpecType, 0)
		} else {
			e.GenlHeader(cmdSessionDelete, genlFamilyVersion)
			e.Uint32(attrConnID, s.TunnelID)
			e.Uint32(attrSessionID, s.ID)
		}
		e.EndMessage(m)
		msg, err := e.Encoded()
		if err != nil {
			return err
		}
		if err := c.Request(ctx, msg, nil); err != nil {
			return fmt.Errorf("%s session %d in tunnel %d: %w", phase, s.ID, s.TunnelID, err)
		}
		buf = msg[:0]
	}
	return nil
}
