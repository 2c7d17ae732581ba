// Package kbench holds what the two halves of `make kbench` share: the
// benchmark program that runs in a test VM (cmd/kbench-vm) and the host
// program that boots the VMs and prints the tables (cmd/kbench).
//
// The benchmark creates and then deletes N items in a fresh network
// namespace, in several ways (the variants), for two workloads: L2TPv3
// Ethernet sessions in one static UDP/IPv4 tunnel, for each of which the
// kernel registers an l2tpeth network interface, and static L2TPv3
// UDP/IPv4 tunnels, for each of which it opens a UDP socket and makes no
// interface. Each phase (create, delete) of each variant runs as a
// separate process started inside the namespace, so that every variant
// pays for its own start-up and family resolution, as a real tool would.
// Wall time is measured from starting that process to its exit, without
// tracing; the system calls are counted in a separate run of the same
// phase under strace (see CountNetlink), and the time the kernel spends in
// its request handlers and what they call is measured in a third run with
// ftrace's function_graph tracer (see TracedFuncs and ParseFuncGraph).
//
// The handlers' time is the floor no variant can go below: batching saves
// system calls, wake-ups and user-space work per request, not the kernel's
// work per item. WriteKernel prints it with the speed-up bound it implies
// (Amdahl's law): the best total of one-at-a-time divided by the floor.
package kbench

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
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

// Workloads: what each variant creates and then deletes.
const (
	// Sessions are L2TPv3 Ethernet sessions in one static UDP/IPv4
	// tunnel; the kernel registers an l2tpeth network interface for each.
	Sessions = "sessions"
	// Tunnels are static (unmanaged) L2TPv3 UDP/IPv4 tunnels on distinct
	// local ports; the kernel opens a UDP socket for each, and makes no
	// interface.
	Tunnels = "tunnels"
)

// Workloads lists every workload, in output order.
var Workloads = []string{Sessions, Tunnels}

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

// Describe says what a variant does in each workload, for the legend.
var Describe = map[string]map[string]string{
	Sessions: {
		Single:     "l2tp.Conn.CreateSession (TUNNEL_GET + SESSION_CREATE + SESSION_GET each) / DeleteSession, one at a time",
		SingleLean: "l2tp.Conn.CreateSessions with a one-session slice (TUNNEL_GET + SESSION_CREATE each) / DeleteSession, one at a time",
		RawSingle:  "netlinkraw.Conn.Request, hand-encoded SESSION_CREATE / SESSION_DELETE, one at a time (what ip does)",
		Batch:      "l2tp.Conn.CreateSessions / DeleteSessions with all sessions in one call",
		IPBatch:    "iproute2 `ip -batch FILE` with `l2tp add session ...` / `l2tp del session ...` lines",
	},
	Tunnels: {
		Single:     "l2tp.Conn.CreateTunnel (TUNNEL_CREATE + TUNNEL_GET each) / DeleteTunnel, one at a time",
		SingleLean: "l2tp.Conn.CreateTunnels with a one-tunnel slice (TUNNEL_CREATE each) / DeleteTunnel, one at a time",
		RawSingle:  "netlinkraw.Conn.Request, hand-encoded TUNNEL_CREATE / TUNNEL_DELETE, one at a time (what ip does)",
		Batch:      "l2tp.Conn.CreateTunnels / DeleteTunnels with all tunnels in one call",
		IPBatch:    "iproute2 `ip -batch FILE` with `l2tp add tunnel ... encap udp ...` / `l2tp del tunnel ...` lines",
	},
}

// Handlers names, per workload, the kernel functions that do the work of
// one create and one delete request (the L2TP family's doit handlers):
// what no way of sending the requests can avoid.
var Handlers = map[string][2]string{
	Sessions: {"l2tp_nl_cmd_session_create", "l2tp_nl_cmd_session_delete"},
	Tunnels:  {"l2tp_nl_cmd_tunnel_create", "l2tp_nl_cmd_tunnel_delete"},
}

// TracedFuncs are the kernel functions whose time the ftrace run
// measures with ftrace's function_graph tracer, those that exist and are
// traceable in the kernel at hand. Each one's time includes its callees
// and the time it waited (slept), so nested ones overlap.
var TracedFuncs = []string{
	// The kernel side of the netlink system calls, and generic netlink's
	// per-message dispatch (policy checks, locking, then the handler).
	"netlink_sendmsg", "netlink_recvmsg", "genl_rcv_msg",
	// The L2TP family's handlers.
	"l2tp_nl_cmd_session_create", "l2tp_nl_cmd_session_delete", "l2tp_nl_cmd_session_get",
	"l2tp_nl_cmd_tunnel_create", "l2tp_nl_cmd_tunnel_delete", "l2tp_nl_cmd_tunnel_get",
	// What they call.
	"l2tp_eth_create", "l2tp_session_register", "l2tp_session_delete",
	"l2tp_tunnel_register", "l2tp_tunnel_delete", "udp_sock_create4", "setup_udp_tunnel_sock",
	"register_netdevice", "dev_get_valid_name", "dev_prep_valid_name", "dev_alloc_name_ns", "__dev_alloc_name",
	"netdev_register_kobject", "kobject_uevent_env", "call_netdevice_notifiers_info",
	"unregister_netdevice_queue", "unregister_netdevice_many", "unregister_netdevice_many_notify",
	"netdev_run_todo", "netdev_unregister_kobject",
	"synchronize_net", "synchronize_rcu", "synchronize_rcu_expedited", "rcu_barrier",
}

// Info describes a benchmark run.
type Info struct {
	Release string // uname -r in the VM
	IP      string // `ip -V`
	Strace  string // `strace -V`, first line
	N       int    // items (sessions, tunnels) per phase
	Rounds  int    // timed rounds per variant
	CPUs    int    // CPUs the VM's kernel runs
	// Hotplug is the kernel's uevent helper (/proc/sys/kernel/hotplug),
	// which the kernel would start as a process for every uevent, such
	// as each interface's; "none" when the kernel has none.
	Hotplug string
	// Ftrace says how the kernel functions were timed, or why not.
	Ftrace string
	// IfNames is set when the sessions were given interface names
	// (kbench -ifnames) rather than left to the kernel's l2tpeth%d.
	IfNames bool
	// Untraced lists the TracedFuncs the kernel cannot trace (inlined,
	// renamed, or missing in this version).
	Untraced []string
}

// A Result holds one variant's measurements on one kernel.
type Result struct {
	Workload string
	Variant  string
	// Startup, Create, Delete and Settle hold one wall time per timed
	// round: a phase process with nothing to handle (process start-up,
	// and for the nl2tp variants dialling and resolving the family; ip
	// resolves it only at its first l2tp command), the create process, the
	// delete process, and the time after the delete process exited until
	// the last item (and for sessions, its interface) had gone (the
	// kernel may finish deleting asynchronously; not part of the
	// variant's time).
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
	// CreateKernel and DeleteKernel are the time in each TracedFuncs
	// function during each phase of a run with ftrace (another separate
	// run), in TracedFuncs order, without functions never called.
	CreateKernel, DeleteKernel []FuncTime
	// TraceLost counts the ftrace events lost in that run (the kernel
	// times are then too low).
	TraceLost int
}

// FuncTime is the time a kernel function took during a phase.
type FuncTime struct {
	Name  string
	Calls int
	Total time.Duration // from entry to return, summed over the calls
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

// WriteTable writes one kernel's results for one workload as a table: for
// each variant, the best start-up, create, delete and total (create +
// delete of one round) times, the median total and settle times, the
// median CPU times of both phases' processes, the netlink system calls of
// both phases, and the speed-up over Single and over IPBatch as "T/C":
// their best total time divided by the variant's, and their best create
// time divided by the variant's. Variants missing from results are left
// out.
func WriteTable(w io.Writer, info *Info, workload string, results []Result) error {
	byName := byVariant(workload, results)
	ratio := func(base string, r *Result) string {
		b, ok := byName[base]
		t, c := Min(r.Totals()), Min(r.Create)
		if !ok || t <= 0 || c <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f/%.2f", float64(Min(b.Totals()))/float64(t), float64(Min(b.Create))/float64(c))
	}
	var b strings.Builder
	what := workload
	if info.IfNames && workload == Sessions {
		what += " with named interfaces"
	}
	fmt.Fprintf(&b, "kernel %s: %d %s created, then deleted; best (median) of %d rounds; wall time of each phase's process\n",
		info.Release, info.N, what, info.Rounds)
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

// byVariant indexes the results of one workload by variant.
func byVariant(workload string, results []Result) map[string]*Result {
	m := map[string]*Result{}
	for i := range results {
		if results[i].Workload == workload {
			m[results[i].Variant] = &results[i]
		}
	}
	return m
}

// Floor is the part of a workload's time that no way of sending the
// requests removes, and what that bounds.
type Floor struct {
	// Create and Delete are the time the kernel spent in the create and
	// delete handlers (Handlers), the least over the variants' ftrace
	// runs; Items is the number of calls each.
	Create, Delete time.Duration
	Items          int
	// Startup is the least start-up time of a phase process over the
	// variants; each round has two phases.
	Startup time.Duration
	// Bound is the best speed-up over Single any variant can reach:
	// Single's best total / (Create + Delete + 2 Startup). BoundIP is the
	// same over IPBatch.
	Bound, BoundIP float64
}

// ComputeFloor returns the floor of a workload, and false when the
// ftrace runs did not time the handlers.
func ComputeFloor(workload string, results []Result) (Floor, bool) {
	byName := byVariant(workload, results)
	h := Handlers[workload]
	var f Floor
	found := [2]bool{}
	for _, r := range byName {
		for k, ks := range [2][]FuncTime{r.CreateKernel, r.DeleteKernel} {
			for _, ft := range ks {
				if ft.Name != h[k] || ft.Calls == 0 {
					continue
				}
				p := &f.Create
				if k == 1 {
					p = &f.Delete
				}
				if !found[k] || ft.Total < *p {
					*p = ft.Total
				}
				if k == 0 {
					f.Items = ft.Calls
				}
				found[k] = true
			}
		}
		if s := Min(r.Startup); s > 0 && (f.Startup == 0 || s < f.Startup) {
			f.Startup = s
		}
	}
	if !found[0] || !found[1] {
		return f, false
	}
	irreducible := float64(f.Create + f.Delete + 2*f.Startup)
	if r, ok := byName[Single]; ok {
		f.Bound = float64(Min(r.Totals())) / irreducible
	}
	if r, ok := byName[IPBatch]; ok {
		f.BoundIP = float64(Min(r.Totals())) / irreducible
	}
	return f, true
}

// WriteKernel writes, for one workload, the time the kernel spent in the
// traced functions in each phase of each variant's ftrace run, then the
// floor and the speed-up bound it implies.
func WriteKernel(w io.Writer, info *Info, workload string, results []Result) error {
	byName := byVariant(workload, results)
	var names []string
	var b strings.Builder
	fmt.Fprintf(&b, "kernel %s, %s: time in kernel functions (ftrace function_graph run; a function's time includes its callees and its waits), ms (calls)\n",
		info.Release, workload)
	fmt.Fprintf(&b, "%-32s", "function")
	lost := 0
	for _, v := range Variants {
		if r, ok := byName[v]; ok {
			names = append(names, v)
			fmt.Fprintf(&b, " %27s", v+" create / delete")
			lost += r.TraceLost
		}
	}
	b.WriteString("\n")
	for _, fn := range TracedFuncs {
		var row strings.Builder
		any := false
		for _, v := range names {
			r := byName[v]
			c, d := findFunc(r.CreateKernel, fn), findFunc(r.DeleteKernel, fn)
			any = any || c.Calls > 0 || d.Calls > 0
			fmt.Fprintf(&row, " %13s %13s", msCalls(c), msCalls(d))
		}
		if any {
			fmt.Fprintf(&b, "%-32s%s\n", fn, row.String())
		}
	}
	if lost > 0 {
		fmt.Fprintf(&b, "(ftrace lost %d events: the times above are too low)\n", lost)
	}
	if f, ok := ComputeFloor(workload, results); ok && f.Items > 0 {
		h := Handlers[workload]
		fmt.Fprintf(&b, "floor: %s %s (%s per item) + %s %s (%s per item) + 2 × start-up %s = %s\n",
			h[0], ms(f.Create), us(f.Create/time.Duration(f.Items)), h[1], ms(f.Delete), us(f.Delete/time.Duration(f.Items)),
			ms(f.Startup), ms(f.Create+f.Delete+2*f.Startup))
		fmt.Fprintf(&b, "speed-up bound (best total / floor): over single %.2f×, over ip-batch %.2f×", f.Bound, f.BoundIP)
		if r, ok := byName[Batch]; ok {
			if s, ok := byName[Single]; ok && Min(r.Totals()) > 0 {
				fmt.Fprintf(&b, "; batch reaches %.2f× over single", float64(Min(s.Totals()))/float64(Min(r.Totals())))
			}
			if s, ok := byName[IPBatch]; ok && Min(r.Totals()) > 0 {
				fmt.Fprintf(&b, " and %.2f× over ip-batch", float64(Min(s.Totals()))/float64(Min(r.Totals())))
			}
		}
		b.WriteString("\n")
	} else {
		b.WriteString("floor: not measured (the handlers were not traced)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func findFunc(fs []FuncTime, name string) FuncTime {
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	return FuncTime{Name: name}
}

func msCalls(f FuncTime) string {
	if f.Calls == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f(%d)", float64(f.Total)/float64(time.Millisecond), f.Calls)
}

func us(d time.Duration) string {
	return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
}

// graphLine matches an ftrace function_graph line that ends a call: the
// duration, then either a leaf call "name();" or, with the funcgraph-tail
// option, the closing "} /* name */" of a call with traced callees.
var graphLine = regexp.MustCompile(`([0-9]+(?:\.[0-9]+)?) us\s+\|\s*(?:\}\s*/\*\s*([A-Za-z0-9_.]+)|([A-Za-z0-9_.]+)(?: \[[A-Za-z0-9_]+\])?\(\);)`)

// lostLine matches ftrace's report of events lost on a CPU.
var lostLine = regexp.MustCompile(`\[LOST (\d+) EVENTS\]`)

// ParseFuncGraph sums the calls and durations per function in the output
// of ftrace's function_graph tracer (the trace file) with the
// funcgraph-tail option, and counts the events ftrace reports lost.
func ParseFuncGraph(r io.Reader) (map[string]FuncTime, int, error) {
	m := map[string]FuncTime{}
	lost := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if l := lostLine.FindStringSubmatch(line); l != nil {
			n, _ := strconv.Atoi(l[1])
			lost += n
			continue
		}
		g := graphLine.FindStringSubmatch(line)
		if g == nil {
			continue
		}
		usec, err := strconv.ParseFloat(g[1], 64)
		if err != nil {
			return nil, 0, fmt.Errorf("function_graph line %q: duration: %w", line, err)
		}
		name := g[2]
		if name == "" {
			name = g[3]
		}
		f := m[name]
		f.Name = name
		f.Calls++
		f.Total += time.Duration(usec * float64(time.Microsecond))
		m[name] = f
	}
	return m, lost, sc.Err()
}

// InOrder returns the functions of m in TracedFuncs order, then any
// others sorted by name.
func InOrder(m map[string]FuncTime) []FuncTime {
	var out []FuncTime
	seen := map[string]bool{}
	for _, n := range TracedFuncs {
		if f, ok := m[n]; ok {
			out = append(out, f)
			seen[n] = true
		}
	}
	var rest []string
	for n := range m {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	for _, n := range rest {
		out = append(out, m[n])
	}
	return out
}

// ms formats d in milliseconds with one decimal.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}
