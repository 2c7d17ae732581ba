// Package kbench holds what the two halves of `make kbench` share: the
// benchmark program that runs in a test VM (cmd/kbench-vm) and the host
// program that boots the VMs and prints the tables (cmd/kbench).
//
// The benchmark creates and then deletes N L2TPv3 Ethernet sessions in one
// static UDP/IPv4 tunnel, in a fresh network namespace, in several ways
// (the variants). Each phase (create, delete) of each variant runs as a
// separate process started inside the namespace, so that every variant
// pays for its own start-up and family resolution, as a real tool would.
// Wall time is measured from starting that process to its exit, without
// tracing; the system calls are counted in a separate run of the same
// phase under strace (see CountNetlink).
package kbench

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Console markers, at the start of a line.
const (
	// MarkInfo precedes the JSON of an Info.
	MarkInfo = "NL2TP-KBENCH-INFO "
	// MarkResult precedes the JSON of one Result.
	MarkResult = "NL2TP-KBENCH-RESULT "
)

// Variant names, in the order of the table.
const (
	Single     = "single"      // package l2tp: CreateSession, DeleteSession
	SingleLean = "single-lean" // package l2tp: CreateSessions with one session, DeleteSession
	RawSingle  = "raw-single"  // package netlinkraw: one hand-made request at a time
	Batch      = "batch"       // package l2tp: CreateSessions, DeleteSessions
	IPBatch    = "ip-batch"    // iproute2: ip -batch FILE
)

// Variants lists every variant, in table order.
var Variants = []string{Single, SingleLean, RawSingle, Batch, IPBatch}

// Describe says what a variant does, for the table's legend.
var Describe = map[string]string{
	Single:     "l2tp.Conn.CreateSession (TUNNEL_GET + SESSION_CREATE + SESSION_GET each) / DeleteSession, one at a time",
	SingleLean: "l2tp.Conn.CreateSessions with a one-session slice (TUNNEL_GET + SESSION_CREATE each) / DeleteSession, one at a time",
	RawSingle:  "netlinkraw.Conn.Request, hand-encoded SESSION_CREATE / SESSION_DELETE, one at a time (what ip does)",
	Batch:      "l2tp.Conn.CreateSessions / DeleteSessions with all sessions in one call",
	IPBatch:    "iproute2 `ip -batch FILE` with `l2tp add session ...` / `l2tp del session ...` lines",
}

// Info describes a benchmark run.
type Info struct {
	Release  string // uname -r in the VM
	IP       string // `ip -V`
	Strace   string // `strace -V`, first line
	Sessions int    // sessions per phase
	Rounds   int    // timed rounds per variant
}

// A Result holds one variant's measurements on one kernel.
type Result struct {
	Variant string
	// Startup, Create, Delete and Settle hold one wall time per timed
	// round: a phase process with no sessions to handle (process start-up,
	// and for the nl2tp variants dialling and resolving the family; ip
	// resolves it only at its first l2tp command), the create process, the
	// delete process, and the time after the delete process exited until
	// the last session interface had gone (the kernel may finish deleting
	// sessions asynchronously; not part of the variant's time).
	Startup, Create, Delete, Settle []time.Duration
	// User and Sys hold, per timed round, the CPU time the create and
	// delete processes spent in user space and in the kernel together
	// (the kernel's work for a request mostly happens in the sending
	// process's system call; waits, such as for RCU grace periods, count
	// in neither).
	User, Sys []time.Duration
	// CreateCalls and DeleteCalls are the netlink system calls of each
	// phase, counted in a separate, traced run.
	CreateCalls, DeleteCalls Counts
}

// Totals returns the create time plus the delete time of each round.
func (r *Result) Totals() []time.Duration {
	t := make([]time.Duration, min(len(r.Create), len(r.Delete)))
	for i := range t {
		t[i] = r.Create[i] + r.Delete[i]
	}
	return t
}

// Calls returns the counts of both phases together.
func (r *Result) Calls() Counts { return r.CreateCalls.Add(r.DeleteCalls) }

// Counts counts system calls on netlink sockets.
type Counts struct {
	Send   int // sendmsg, sendto, sendmmsg and write
	Recv   int // recvmsg, recvfrom, recvmmsg and read, including the two below
	Peek   int // receive calls with MSG_PEEK (sizing the next datagram)
	EAGAIN int // receive calls that found nothing queued (non-blocking sockets)
}

// Add returns the sum of c and d.
func (c Counts) Add(d Counts) Counts {
	return Counts{c.Send + d.Send, c.Recv + d.Recv, c.Peek + d.Peek, c.EAGAIN + d.EAGAIN}
}

// straceCall matches the start of a system call in the output of
// `strace -f -yy`: an optional process ID, the call's name and its first
// argument, a descriptor annotated with what it is.
var straceCall = regexp.MustCompile(`^(?:\[pid\s+)?(?:\d+\]?\s+)?([a-z0-9_]+)\((\d+)<([^>]*)>`)

// CountNetlink counts the system calls on netlink sockets in the output of
// `strace -f -yy -e trace=...`. A call split by another process's
// ("<unfinished ...>" and "<... resumed>") counts once, at its start.
func CountNetlink(r io.Reader) (Counts, error) {
	var c Counts
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		m := straceCall.FindStringSubmatch(line)
		if m == nil || !strings.HasPrefix(m[3], "NETLINK:") {
			continue
		}
		switch m[1] {
		case "sendmsg", "sendto", "sendmmsg", "write", "writev":
			c.Send++
		case "recvmsg", "recvfrom", "recvmmsg", "read", "readv":
			c.Recv++
			if strings.Contains(line, "MSG_PEEK") {
				c.Peek++
			}
			if strings.Contains(line, "= -1 EAGAIN") {
				c.EAGAIN++
			}
		}
	}
	return c, sc.Err()
}

// Min returns the least of ds, or 0 for none. The VMs run under TCG on a
// host that other work shares, which only ever adds time: the best round
// is the best estimate of a variant's own cost.
func Min(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Min(ds)
}

// Median returns the median of ds (the mean of the middle two for an even
// count), or 0 for none.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// WriteTable writes one kernel's results as a table: for each variant,
// the best start-up, create, delete and total (create + delete of one
// round) times, the median total and settle times, the median CPU times of
// both phases' processes, the netlink
// system calls of both phases, and the speed-up over Single and over
// IPBatch as "T/C": their best total time divided by the variant's, and
// their best create time divided by the variant's. Variants missing from results are
// left out.
func WriteTable(w io.Writer, info *Info, results []Result) error {
	byName := map[string]*Result{}
	for i := range results {
		byName[results[i].Variant] = &results[i]
	}
	ratio := func(base string, r *Result) string {
		b, ok := byName[base]
		t, c := Min(r.Totals()), Min(r.Create)
		if !ok || t <= 0 || c <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f/%.2f", float64(Min(b.Totals()))/float64(t), float64(Min(b.Create))/float64(c))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "kernel %s: %d sessions created, then deleted; best (median) of %d rounds; wall time of each phase's process\n",
		info.Release, info.Sessions, info.Rounds)
	fmt.Fprintf(&b, "%-12s %9s %10s %10s %10s %11s %9s %9s %10s %6s %6s %12s %9s %9s\n",
		"variant", "start-up", "create", "delete", "total", "(median)", "settle", "cpu usr", "cpu sys", "send", "recv", "(peek/again)", "vs single", "vs ip")
	fmt.Fprintf(&b, "%-12s %9s %10s %10s %10s %11s %9s %9s %10s %6s %6s %12s %9s %9s\n",
		"", "best", "best", "best", "best", "", "median", "median", "median", "", "", "", "total/cre", "total/cre")
	for _, name := range Variants {
		r, ok := byName[name]
		if !ok {
			continue
		}
		c := r.Calls()
		fmt.Fprintf(&b, "%-12s %9s %10s %10s %10s %11s %9s %9s %10s %6d %6d %12s %9s %9s\n",
			name, ms(Min(r.Startup)), ms(Min(r.Create)), ms(Min(r.Delete)), ms(Min(r.Totals())), "("+ms(Median(r.Totals()))+")", ms(Median(r.Settle)),
			ms(Median(r.User)), ms(Median(r.Sys)),
			c.Send, c.Recv, fmt.Sprintf("(%d/%d)", c.Peek, c.EAGAIN), ratio(Single, r), ratio(IPBatch, r))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ms formats d in milliseconds with one decimal.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}
