//go:build linux

// Command kbench-vm is the half of `make kbench` that runs in a test VM
// (see package kbench). Without arguments it is the driver: for each
// workload, variant and round it makes a fresh network namespace with lo
// up (and for the sessions workload a static UDP/IPv4 tunnel), starts the
// create phase and then the delete phase as processes inside that
// namespace, checks that the items (and the sessions' interfaces)
// appeared and went, and tears the namespace down. After the timed rounds
// it runs each variant once more under strace, to count its netlink
// system calls, and once more with ftrace's function_graph tracer timing
// the kernel functions kbench.TracedFuncs. It prints one kbench.MarkResult line per
// workload and variant and a kbench.MarkInfo line.
//
// As "kbench-vm phase WORKLOAD VARIANT create|delete N TUNNEL" it is the
// measured process of the nl2tp variants: it creates or deletes sessions
// 1 to N of the tunnel, or tunnels TUNNEL to TUNNEL+N-1, in its own
// network namespace, and prints nothing unless it fails. With N = 0 it
// only dials (the start-up measurement). The ip-batch variant's measured
// process is ip itself.
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
	"runtime"
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
	if len(os.Args) > 1 && (os.Args[1] == "phase" || os.Args[1] == "phase-ifnames") {
		err = runPhase(ctx, os.Args[2:], os.Args[1] == "phase-ifnames")
	} else {
		err = run(ctx, os.Args[1:], os.Stdout)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kbench-vm: %v\n", err)
		os.Exit(1)
	}
}

// The tunnel the sessions workload uses, and the first tunnel ID and
// local and remote UDP ports of the tunnels workload (tunnel k uses the
// ports plus k).
const (
	tunnelID        = 1
	firstLocalPort  = 10000
	firstRemotePort = 40000
)

// The l2tp generic netlink numbers the raw-single variant encodes by hand
// (linux/l2tp.h).
const (
	cmdTunnelCreate    = 1
	cmdTunnelDelete    = 2
	cmdSessionCreate   = 5
	cmdSessionDelete   = 6
	attrPWType         = 1
	attrEncapType      = 2
	attrL2SpecType     = 5
	attrIfname         = 8
	attrProtoVersion   = 7
	attrConnID         = 9
	attrPeerConnID     = 10
	attrSessionID      = 11
	attrPeerSessionID  = 12
	attrIPSaddr        = 24
	attrIPDaddr        = 25
	attrUDPSport       = 26
	attrUDPDport       = 27
	pwTypeEth          = 5
	encapUDP           = 0
	genlFamilyVersion  = 1
	phaseCreate        = "create"
	phaseDelete        = "delete"
	phaseStartup       = "startup"
	settleTimeout      = 2 * time.Minute
	settlePollInterval = 2 * time.Millisecond
)

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("kbench-vm", flag.ContinueOnError)
	n := fs.Int("n", 1000, "`items` (sessions, tunnels) to create and delete")
	rounds := fs.Int("rounds", 3, "timed `rounds` per variant")
	variants := fs.String("variants", strings.Join(kbench.Variants, ","), "comma-separated `variants`")
	workloads := fs.String("workloads", strings.Join(kbench.Workloads, ","), "comma-separated `workloads`")
	ftrace := fs.Bool("ftrace", true, "time kernel functions with ftrace in a run of their own")
	ifnames := fs.Bool("ifnames", false, "name each session's interface (l2tpeth-ID) instead of letting the kernel pick the next free l2tpethN")
	ipPath := fs.String("ip", "/usr/bin/ip", "iproute2's ip `program`")
	stracePath := fs.String("strace", "/usr/bin/strace", "strace `program`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 20000 {
		return fmt.Errorf("-n: items must be between 1 and 20000, got %d", *n)
	}
	if *rounds < 1 {
		return fmt.Errorf("-rounds: must be at least 1, got %d", *rounds)
	}
	names, err := list("-variants", *variants, kbench.Variants)
	if err != nil {
		return err
	}
	wls, err := list("-workloads", *workloads, kbench.Workloads)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	b := &bench{n: *n, self: self, ip: *ipPath, strace: *stracePath, ifnames: *ifnames}
	if err := b.writeIPBatches(); err != nil {
		return err
	}
	info := kbench.Info{N: *n, Rounds: *rounds, CPUs: runtime.NumCPU(), Hotplug: hotplug(), IfNames: *ifnames}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return fmt.Errorf("uname: %w", err)
	}
	info.Release = unix.ByteSliceToString(uts.Release[:])
	info.IP = firstLine(exec.Command(b.ip, "-V").CombinedOutput())
	info.Strace = firstLine(exec.Command(b.strace, "-V").CombinedOutput())

	results := make([][]kbench.Result, len(wls))
	for w, wl := range wls {
		res := make([]kbench.Result, len(names))
		for i, v := range names {
			res[i].Workload, res[i].Variant = wl, v
		}
		results[w] = res
		// Warm up: start each variant's program once, so that the first
		// timed round does not pay for first use.
		if err := b.warmUp(wl, names); err != nil {
			return err
		}
		// Rounds interleave the variants, so that a slow spell of the VM
		// hits them alike.
		for r := 0; r < *rounds; r++ {
			for i, v := range names {
				m, err := b.round(ctx, wl, v, modeTimed)
				if err != nil {
					return fmt.Errorf("%s %s, round %d: %w", wl, v, r+1, err)
				}
				res := &res[i]
				res.Startup = append(res.Startup, m.startup)
				res.Create = append(res.Create, m.create)
				res.Delete = append(res.Delete, m.delete)
				res.Settle = append(res.Settle, m.settle)
				res.User = append(res.User, m.user)
				res.Sys = append(res.Sys, m.sys)
				fmt.Fprintf(os.Stderr, "kbench-vm: %s %s round %d: start-up %v, create %v, delete %v, settle %v\n", wl, v, r+1,
					m.startup.Round(time.Millisecond), m.create.Round(time.Millisecond), m.delete.Round(time.Millisecond), m.settle.Round(time.Millisecond))
			}
		}
		for i, v := range names {
			m, err := b.round(ctx, wl, v, modeStrace)
			if err != nil {
				return fmt.Errorf("%s %s, strace round: %w", wl, v, err)
			}
			res[i].CreateCalls, res[i].DeleteCalls = m.createCalls, m.deleteCalls
		}
	}
	// The ftrace rounds come last, with the tracer's hooks in place:
	// turning ftrace on patches the kernel's code, which under TCG crashed
	// a guest whose other CPUs were running (an int3 left behind in a
	// static branch), so it is turned on with one CPU online, and the
	// others come back for the rounds.
	if *ftrace {
		offline, err := onlyCPU0()
		if err != nil {
			info.Ftrace = "unavailable: " + err.Error()
		} else if t, untraced, err := setupFtrace(kbench.TracedFuncs); err != nil {
			info.Ftrace = "unavailable: " + err.Error()
		} else {
			b.ftrace = t
			info.Ftrace = fmt.Sprintf("function_graph on %d functions", len(kbench.TracedFuncs)-len(untraced))
			info.Untraced = untraced
		}
		if err := setOnline(offline, true); err != nil {
			return err
		}
		if n := runtime.NumCPU(); n != info.CPUs {
			info.Ftrace += fmt.Sprintf(", with %d of %d CPUs online", n, info.CPUs)
		}
	} else {
		info.Ftrace = "off (-ftrace=false)"
	}
	var all []kbench.Result
	for w, wl := range wls {
		res := results[w]
		for i, v := range names {
			if b.ftrace == nil {
				break
			}
			m, err := b.round(ctx, wl, v, modeFtrace)
			if err != nil {
				return fmt.Errorf("%s %s, ftrace round: %w", wl, v, err)
			}
			res[i].CreateKernel, res[i].DeleteKernel = m.createKernel, m.deleteKernel
			res[i].TraceLost = m.traceLost
		}
		all = append(all, res...)
	}
	line, err := guest.MarkedLine(kbench.MarkInfo, info)
	if err != nil {
		return err
	}
	io.WriteString(stdout, "\n"+line)
	for _, r := range all {
		line, err := guest.MarkedLine(kbench.MarkResult, r)
		if err != nil {
			return err
		}
		io.WriteString(stdout, line)
	}
	return nil
}

// list parses a comma-separated list of names from known.
func list(flagName, s string, known []string) ([]string, error) {
	var out []string
	for _, v := range strings.Split(s, ",") {
		v = strings.TrimSpace(v)
		ok := false
		for _, k := range known {
			ok = ok || k == v
		}
		if !ok {
			return nil, fmt.Errorf("%s: unknown name %q (known: %s)", flagName, v, strings.Join(known, ", "))
		}
		out = append(out, v)
	}
	return out, nil
}

// hotplug returns the kernel's uevent helper, "none" without one.
func hotplug() string {
	b, err := os.ReadFile("/proc/sys/kernel/hotplug")
	if errors.Is(err, os.ErrNotExist) {
		return "none (no /proc/sys/kernel/hotplug: CONFIG_UEVENT_HELPER is off)"
	}
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	if h := strings.TrimSpace(string(b)); h != "" {
		return h
	}
	return "none (empty)"
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
	ipFiles          map[string]string // workload/phase → ip -batch file
	ftrace           *tracer           // nil without ftrace
	ifnames          bool              // sessions get interface names
}

// writeIPBatches writes the ip -batch files of both phases of each
// workload.
func (b *bench) writeIPBatches() error {
	b.ipFiles = map[string]string{}
	for _, wl := range kbench.Workloads {
		for _, phase := range []string{phaseCreate, phaseDelete} {
			var s strings.Builder
			for k := range b.n {
				id := k + 1
				switch {
				case wl == kbench.Sessions && phase == phaseCreate:
					fmt.Fprintf(&s, "l2tp add session tunnel_id %d session_id %d peer_session_id %d", tunnelID, id, id)
					if b.ifnames {
						fmt.Fprintf(&s, " name %s", ifname(id))
					}
					s.WriteString("\n")
				case wl == kbench.Sessions:
					fmt.Fprintf(&s, "l2tp del session tunnel_id %d session_id %d\n", tunnelID, id)
				case phase == phaseCreate:
					fmt.Fprintf(&s, "l2tp add tunnel tunnel_id %d peer_tunnel_id %d encap udp local 127.0.0.1 remote 127.0.0.1 udp_sport %d udp_dport %d\n",
						id, id, firstLocalPort+k, firstRemotePort+k)
				default:
					fmt.Fprintf(&s, "l2tp del tunnel tunnel_id %d\n", id)
				}
			}
			p := "/tmp/kbench-ip-" + wl + "-" + phase + ".batch"
			if err := os.WriteFile(p, []byte(s.String()), 0o644); err != nil {
				return err
			}
			b.ipFiles[wl+"/"+phase] = p
		}
	}
	return nil
}

// warmUp runs the start-up phase of each variant once, untimed.
func (b *bench) warmUp(wl string, variants []string) error {
	ns, err := newNetNS()
	if err != nil {
		return err
	}
	defer ns.Close()
	for _, v := range variants {
		if _, err := b.phase(ns, wl, v, phaseStartup, modeTimed); err != nil {
			return fmt.Errorf("%s %s, warm-up: %w", wl, v, err)
		}
	}
	return nil
}

// measurement is what one round of one variant measured.
type measurement struct {
	startup, create, delete    time.Duration
	settle                     time.Duration
	user, sys                  time.Duration // of the create and delete processes
	createCalls, deleteCalls   kbench.Counts
	createKernel, deleteKernel []kbench.FuncTime
	traceLost                  int
}

// How a round runs its phase processes.
type mode int

const (
	modeTimed  mode = iota // timed, without tracing
	modeStrace             // under strace, counting netlink system calls
	modeFtrace             // with ftrace timing kernel functions
)

// round runs both phases of variant in a fresh network namespace.
func (b *bench) round(ctx context.Context, wl, variant string, md mode) (m measurement, err error) {
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
	if wl == kbench.Sessions {
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
	}

	if md == modeTimed {
		// The process with nothing to do: start-up and, for the nl2tp
		// variants, dialling and resolving the family.
		pr, err := b.phase(ns, wl, variant, phaseStartup, modeTimed)
		if err != nil {
			return m, err
		}
		m.startup = pr.wall
	}
	var cr, dr phaseResult
	if cr, err = b.phase(ns, wl, variant, phaseCreate, md); err != nil {
		return m, err
	}
	m.create, m.createCalls, m.createKernel = cr.wall, cr.calls, cr.kernel
	items, links, err := count(ctx, wl, c, rt)
	if err != nil {
		return m, err
	}
	if items != b.n || links != b.links(wl) {
		return m, fmt.Errorf("after the create phase: %d %s and %d interfaces, want %d and %d (with lo)", items, wl, links, b.n, b.links(wl))
	}
	if dr, err = b.phase(ns, wl, variant, phaseDelete, md); err != nil {
		return m, err
	}
	m.delete, m.deleteCalls, m.deleteKernel = dr.wall, dr.calls, dr.kernel
	m.traceLost = cr.lost + dr.lost
	m.user, m.sys = cr.cpu.user+dr.cpu.user, cr.cpu.sys+dr.cpu.sys
	start := time.Now()
	for {
		items, links, err := count(ctx, wl, c, rt)
		if err != nil {
			return m, err
		}
		if items == 0 && links == 1 {
			break
		}
		if time.Since(start) > settleTimeout {
			return m, fmt.Errorf("%v after the delete phase: still %d %s and %d interfaces (with lo)", settleTimeout, items, wl, links)
		}
		time.Sleep(settlePollInterval)
	}
	m.settle = time.Since(start)
	return m, nil
}

// links returns the interfaces a namespace has after the create phase of
// wl: lo, and for the sessions workload one per session.
func (b *bench) links(wl string) int {
	if wl == kbench.Sessions {
		return 1 + b.n
	}
	return 1
}

// count returns the number of L2TP sessions or tunnels (per the workload)
// and of network interfaces (lo included) in the namespace. A dump that
// the kernel reports as interrupted, as the link dump is while interfaces
// go away, is retried.
func count(ctx context.Context, wl string, c *l2tp.Conn, rt *netlinkraw.Conn) (items, links int, err error) {
	for range 1000 {
		items, links, err = countOnce(ctx, wl, c, rt)
		if !errors.Is(err, netlinkraw.ErrDumpInterrupted) {
			break
		}
		time.Sleep(settlePollInterval)
	}
	return items, links, err
}

func countOnce(ctx context.Context, wl string, c *l2tp.Conn, rt *netlinkraw.Conn) (items, links int, err error) {
	if wl == kbench.Sessions {
		ss, err := c.ListSessions(ctx, l2tp.SessionFilter{})
		if err != nil {
			return 0, 0, err
		}
		items = len(ss)
	} else {
		ts, err := c.ListTunnels(ctx)
		if err != nil {
			return 0, 0, err
		}
		items = len(ts)
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
	return items, links, err
}

// usage is the CPU time of a process.
type usage struct{ user, sys time.Duration }

// phaseResult is what one phase process measured: its wall and CPU time,
// and, per the mode, its netlink system calls or the kernel functions'
// times.
type phaseResult struct {
	wall   time.Duration
	cpu    usage
	calls  kbench.Counts
	kernel []kbench.FuncTime
	lost   int // ftrace events lost
}

// phase runs one phase of variant as a process in ns.
func (b *bench) phase(ns *os.File, wl, variant, phase string, md mode) (phaseResult, error) {
	var pr phaseResult
	var argv []string
	n := b.n
	if phase == phaseStartup {
		phase, n = phaseCreate, 0
	}
	first := tunnelID
	if variant == kbench.IPBatch {
		argv = []string{b.ip, "-batch", b.ipFiles[wl+"/"+phase]}
		if n == 0 {
			argv[2] = "/dev/null"
		}
	} else {
		argv = []string{b.self, "phase", wl, variant, phase, strconv.Itoa(n), strconv.Itoa(first)}
		if b.ifnames {
			argv[1] = "phase-ifnames"
		}
	}
	traceFile := "/tmp/kbench-" + wl + "-" + variant + "-" + phase + ".strace"
	if md == modeStrace {
		argv = append([]string{b.strace, "-f", "-yy", "-o", traceFile,
			"-e", "trace=sendmsg,sendto,sendmmsg,write,writev,recvmsg,recvfrom,recvmmsg,read,readv", "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	ft := b.ftrace
	if md != modeFtrace {
		ft = nil
	}
	if ft != nil {
		if err := ft.start(); err != nil {
			return pr, err
		}
	}
	start, err := startIn(ns, cmd)
	if err != nil {
		return pr, err
	}
	err = cmd.Wait()
	pr.wall = time.Since(start)
	if ft != nil {
		var ferr error
		pr.kernel, pr.lost, ferr = ft.stop()
		if ferr != nil && err == nil {
			return pr, ferr
		}
	}
	if err != nil {
		return pr, fmt.Errorf("%s phase: %s: %w", phase, strings.Join(argv, " "), err)
	}
	pr.cpu = usage{cmd.ProcessState.UserTime(), cmd.ProcessState.SystemTime()}
	if md != modeStrace {
		return pr, nil
	}
	f, err := os.Open(traceFile)
	if err != nil {
		return pr, err
	}
	defer os.Remove(traceFile)
	defer f.Close()
	pr.calls, err = kbench.CountNetlink(bufio.NewReader(f))
	return pr, err
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
// With ifnames, sessions get interface names.
func runPhase(ctx context.Context, args []string, ifnames bool) error {
	if len(args) != 5 {
		return errors.New("usage: kbench-vm phase WORKLOAD VARIANT create|delete N TUNNEL")
	}
	wl, variant, phase := args[0], args[1], args[2]
	n, err := strconv.ParseUint(args[3], 10, 32)
	if err != nil {
		return fmt.Errorf("phase: N %q must be a number", args[3])
	}
	tid, err := strconv.ParseUint(args[4], 10, 32)
	if err != nil || tid == 0 {
		return fmt.Errorf("phase: TUNNEL %q must be a positive number", args[4])
	}
	if phase != phaseCreate && phase != phaseDelete {
		return fmt.Errorf("phase: %q must be %s or %s", phase, phaseCreate, phaseDelete)
	}
	create := phase == phaseCreate
	switch wl {
	case kbench.Sessions:
		sessions := make([]l2tp.Session, n)
		for i := range sessions {
			id := uint32(i + 1)
			sessions[i] = l2tp.Session{TunnelID: uint32(tid), ID: id, PeerID: id, Pseudowire: l2tp.PseudowireEth}
			if ifnames {
				sessions[i].InterfaceName = ifname(int(id))
			}
		}
		return sessionPhase(ctx, variant, create, sessions)
	case kbench.Tunnels:
		lo := netip.MustParseAddr("127.0.0.1")
		tunnels := make([]l2tp.Tunnel, n)
		for i := range tunnels {
			id := uint32(tid) + uint32(i)
			tunnels[i] = l2tp.Tunnel{ID: id, PeerID: id, Version: 3, Encap: l2tp.EncapUDP, Local: lo, Remote: lo,
				LocalPort: uint16(firstLocalPort + i), RemotePort: uint16(firstRemotePort + i)}
		}
		return tunnelPhase(ctx, variant, create, tunnels)
	}
	return fmt.Errorf("phase: unknown workload %q", wl)
}

func sessionPhase(ctx context.Context, variant string, create bool, sessions []l2tp.Session) error {
	if variant == kbench.RawSingle {
		return rawPhase(ctx, len(sessions), func(e *netlinkraw.Encoder, i int) {
			s := &sessions[i]
			if create {
				e.GenlHeader(cmdSessionCreate, genlFamilyVersion)
				e.Uint32(attrConnID, s.TunnelID)
				e.Uint32(attrSessionID, s.ID)
				e.Uint32(attrPeerSessionID, s.PeerID)
				e.Uint16(attrPWType, pwTypeEth)
				e.Uint8(attrL2SpecType, 0)
				if s.InterfaceName != "" {
					e.String(attrIfname, s.InterfaceName)
				}
			} else {
				e.GenlHeader(cmdSessionDelete, genlFamilyVersion)
				e.Uint32(attrConnID, s.TunnelID)
				e.Uint32(attrSessionID, s.ID)
			}
		})
	}
	c, err := l2tp.Dial(nil)
	if err != nil {
		return err
	}
	defer c.Close()
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

func tunnelPhase(ctx context.Context, variant string, create bool, tunnels []l2tp.Tunnel) error {
	if variant == kbench.RawSingle {
		return rawPhase(ctx, len(tunnels), func(e *netlinkraw.Encoder, i int) {
			t := &tunnels[i]
			if create {
				e.GenlHeader(cmdTunnelCreate, genlFamilyVersion)
				e.Uint32(attrConnID, t.ID)
				e.Uint32(attrPeerConnID, t.PeerID)
				e.Uint8(attrProtoVersion, t.Version)
				e.Uint16(attrEncapType, encapUDP)
				src, dst := t.Local.As4(), t.Remote.As4()
				e.Bytes(attrIPSaddr, src[:])
				e.Bytes(attrIPDaddr, dst[:])
				e.Uint16(attrUDPSport, t.LocalPort)
				e.Uint16(attrUDPDport, t.RemotePort)
			} else {
				e.GenlHeader(cmdTunnelDelete, genlFamilyVersion)
				e.Uint32(attrConnID, t.ID)
			}
		})
	}
	c, err := l2tp.Dial(nil)
	if err != nil {
		return err
	}
	defer c.Close()
	ids := make([]uint32, len(tunnels))
	for i := range tunnels {
		ids[i] = tunnels[i].ID
	}
	switch variant {
	case kbench.Single, kbench.SingleLean:
		for _, t := range tunnels {
			switch {
			case !create:
				err = c.DeleteTunnel(ctx, t.ID)
			case variant == kbench.Single:
				_, err = c.CreateTunnel(ctx, t)
			default:
				err = firstErr(c.CreateTunnels(ctx, []l2tp.Tunnel{t}))
			}
			if err != nil {
				return err
			}
		}
		return nil
	case kbench.Batch:
		if create {
			return firstErr(c.CreateTunnels(ctx, tunnels))
		}
		return firstErr(c.DeleteTunnels(ctx, ids))
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

// rawPhase sends n hand-encoded requests, encode(e, i) writing the
// generic netlink header and attributes of request i, and waits for each
// one's ACK before the next, as iproute2 does.
func rawPhase(ctx context.Context, n int, encode func(e *netlinkraw.Encoder, i int)) error {
	c, err := netlinkraw.Dial(unix.NETLINK_GENERIC, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if n == 0 {
		_, err = c.ResolveFamily(ctx, "l2tp")
		return err
	}
	fam, err := c.ResolveFamily(ctx, "l2tp")
	if err != nil {
		return err
	}
	var e netlinkraw.Encoder
	buf := make([]byte, 0, 128)
	for i := range n {
		e.Reset(buf)
		m := e.BeginMessage(fam.ID, 0, 0, 0)
		encode(&e, i)
		e.EndMessage(m)
		msg, err := e.Encoded()
		if err != nil {
			return err
		}
		if err := c.Request(ctx, msg, nil); err != nil {
			return fmt.Errorf("request %d: %w", i+1, err)
		}
		buf = msg[:0]
	}
	return nil
}

// onlyCPU0 takes every CPU but CPU 0 offline and returns the ones it
// took offline.
func onlyCPU0() ([]int, error) {
	var off []int
	for cpu := 1; ; cpu++ {
		if _, err := os.Stat(fmt.Sprintf("/sys/devices/system/cpu/cpu%d", cpu)); errors.Is(err, os.ErrNotExist) {
			return off, nil
		}
		p := fmt.Sprintf("/sys/devices/system/cpu/cpu%d/online", cpu)
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			continue // a CPU that cannot go offline
		}
		if err := setOnline([]int{cpu}, false); err != nil {
			return off, err
		}
		off = append(off, cpu)
	}
}

// setOnline brings cpus online or takes them offline.
func setOnline(cpus []int, on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	for _, cpu := range cpus {
		if err := os.WriteFile(fmt.Sprintf("/sys/devices/system/cpu/cpu%d/online", cpu), []byte(v), 0); err != nil {
			return fmt.Errorf("setting CPU %d online=%s: %w", cpu, v, err)
		}
	}
	return nil
}

// ifname is the interface name of session id with -ifnames.
func ifname(id int) string { return "l2tpeth-" + strconv.Itoa(id) }
