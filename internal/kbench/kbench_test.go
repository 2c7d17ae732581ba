package kbench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
)

// A trace in the form `strace -f -yy -e trace=...` writes: iproute2's
// library reads, its sendmsg and peeking recvmsg, Go's write and recvfrom
// on a non-blocking socket (one EAGAIN), a call split between two
// threads, and writes to other descriptors, which do not count.
const trace = `29933 read(3</usr/lib/x86_64-linux-gnu/libc.so.6>, "\177ELF\2\1\1\3"..., 832) = 832
29933 sendmsg(4<NETLINK:[GENERIC:29933]>, {msg_name={sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, msg_namelen=12, msg_iov=[{iov_base=[{nlmsg_len=32, nlmsg_type=nlctrl, nlmsg_flags=NLM_F_REQUEST|NLM_F_ACK, nlmsg_seq=0, nlmsg_pid=0}, "\x03\x02\x00\x00"], iov_len=32}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 32
29933 recvmsg(4<NETLINK:[GENERIC:29933]>, {msg_name={sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, msg_namelen=12, msg_iov=[{iov_base=NULL, iov_len=0}], msg_iovlen=1, msg_controllen=0, msg_flags=MSG_TRUNC}, MSG_PEEK|MSG_TRUNC) = 52
29933 recvmsg(4<NETLINK:[GENERIC:29933]>, {msg_name={sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, msg_namelen=12, msg_iov=[{iov_base=[{nlmsg_len=52, nlmsg_type=NLMSG_ERROR, nlmsg_flags=0, nlmsg_seq=0, nlmsg_pid=29933}, {error=-ENOENT, msg={nlmsg_len=32, nlmsg_type=nlctrl, nlmsg_flags=NLM_F_REQUEST|NLM_F_ACK, nlmsg_seq=0, nlmsg_pid=0}}], iov_len=52}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 52
29933 write(2</dev/null<char 1:3>>, "RTNETLINK answers: No such file "..., 45) = 45
412 write(3<NETLINK:[GENERIC:412]>, [{nlmsg_len=44, nlmsg_type=l2tp, nlmsg_flags=NLM_F_REQUEST|NLM_F_ACK, nlmsg_seq=2, nlmsg_pid=412}, "\x05\x01\x00\x00"], 44) = 44
412 recvfrom(3<NETLINK:[GENERIC:412]>, NULL, 0, MSG_PEEK|MSG_TRUNC, 0xc000012345, [12]) = -1 EAGAIN (Resource temporarily unavailable)
415 recvfrom(3<NETLINK:[GENERIC:412]>, NULL, 0, MSG_PEEK|MSG_TRUNC,  <unfinished ...>
412 write(1<pipe:[1234]>, "x", 1) = 1
415 <... recvfrom resumed>{sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, [12]) = 36
415 recvfrom(3<NETLINK:[GENERIC:412]>, [{nlmsg_len=36, nlmsg_type=NLMSG_ERROR, nlmsg_flags=NLM_F_CAPPED, nlmsg_seq=2, nlmsg_pid=412}, {error=0, msg={nlmsg_len=44, nlmsg_type=l2tp, nlmsg_flags=NLM_F_REQUEST|NLM_F_ACK, nlmsg_seq=2, nlmsg_pid=412}}], 8192, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, [12]) = 36
415 read(5<socket:[5678]>, "", 0) = 0
415 +++ exited with 0 +++
`

func TestCountNetlink(t *testing.T) {
	got, err := CountNetlink(strings.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	want := Counts{Send: 2, Recv: 5, Peek: 3, EAGAIN: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unexpected counts (-want +got):\n%s", diff)
	}
	// Without process IDs (strace without -f), too.
	var b strings.Builder
	for _, l := range strings.SplitAfter(trace, "\n") {
		_, rest, _ := strings.Cut(l, " ")
		b.WriteString(rest)
	}
	got, err = CountNetlink(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unexpected counts without PIDs (-want +got):\n%s", diff)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{5}, 5},
		{[]time.Duration{9, 1, 5}, 5},
		{[]time.Duration{9, 1, 5, 3}, 4},
	}
	for _, tt := range tests {
		in := append([]time.Duration(nil), tt.in...)
		if got := Median(tt.in); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
		if diff := cmp.Diff(in, tt.in); diff != "" {
			t.Errorf("Median changed its input (-want +got):\n%s", diff)
		}
	}
}

func TestLineRoundTrip(t *testing.T) {
	r := Result{Variant: Batch, Create: []time.Duration{time.Second}, CreateCalls: Counts{Send: 1, Recv: 2}}
	l, err := guest.MarkedLine(MarkResult, r)
	if err != nil {
		t.Fatal(err)
	}
	var got Result
	ok, err := guest.ParseMarkedLine(strings.TrimSuffix(l, "\n"), MarkResult, &got)
	if !ok || err != nil {
		t.Fatalf("ParseMarkedLine = %v, %v", ok, err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("unexpected result (-want +got):\n%s", diff)
	}
	if ok, _ := guest.ParseMarkedLine("some other line", MarkResult, &got); ok {
		t.Error("ParseMarkedLine took a line without the mark")
	}
	if ok, err := guest.ParseMarkedLine(MarkResult+"{bad", MarkResult, &got); !ok || err == nil {
		t.Errorf("ParseMarkedLine on bad JSON = %v, %v; want true and an error", ok, err)
	}
}

func TestWriteTable(t *testing.T) {
	ms := time.Millisecond
	results := []Result{
		{Workload: Tunnels, Variant: Single, Create: []time.Duration{ms}}, // another workload's: left out
		{Workload: Sessions, Variant: IPBatch, Startup: []time.Duration{10 * ms}, Create: []time.Duration{300 * ms}, Delete: []time.Duration{100 * ms},
			Settle: []time.Duration{ms}, CreateCalls: Counts{Send: 1000, Recv: 2000, Peek: 1000}},
		{Workload: Sessions, Variant: Single, Startup: []time.Duration{10 * ms, 30 * ms, 20 * ms}, Create: []time.Duration{900 * ms, 800 * ms, 700 * ms},
			Delete: []time.Duration{100 * ms, 400 * ms, 300 * ms}, Settle: []time.Duration{ms, ms, ms}},
		{Workload: Sessions, Variant: Batch, Startup: []time.Duration{10 * ms}, Create: []time.Duration{200 * ms}, Delete: []time.Duration{50 * ms},
			Settle: []time.Duration{ms}, User: []time.Duration{30 * ms}, Sys: []time.Duration{120 * ms}, CreateCalls: Counts{Send: 3, Recv: 2000, Peek: 1000, EAGAIN: 2}, DeleteCalls: Counts{Send: 2, Recv: 4}},
	}
	var b bytes.Buffer
	if err := WriteTable(&b, &Info{Release: "6.12.0", N: 1000, Rounds: 3}, Sessions, results); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 {
		t.Fatalf("got %d lines, want a title, two header lines and 3 rows:\n%s", len(lines), out)
	}
	// Rows in Variants order, whatever the order of results.
	for i, v := range []string{Single, Batch, IPBatch} {
		if f := strings.Fields(lines[3+i]); f[0] != v {
			t.Errorf("row %d is %q, want %q:\n%s", i, f[0], v, out)
		}
	}
	// single: best create 700 ms, best delete 100 ms, best round 700+300
	// = 1000 ms, median round 1000 ms; batch 250 ms: 4.00× in total, 3.50×
	// in create; ip-batch: 400 ms, 300 ms create.
	want := map[string][]string{
		Single:  {"10.0ms", "700.0ms", "100.0ms", "1000.0ms", "(1000.0ms)", "1.0ms", "0.0ms", "0.0ms", "0", "0", "(0/0)", "1.00/1.00", "0.40/0.43"},
		Batch:   {"10.0ms", "200.0ms", "50.0ms", "250.0ms", "(250.0ms)", "1.0ms", "30.0ms", "120.0ms", "5", "2004", "(1000/2)", "4.00/3.50", "1.60/1.50"},
		IPBatch: {"10.0ms", "300.0ms", "100.0ms", "400.0ms", "(400.0ms)", "1.0ms", "0.0ms", "0.0ms", "1000", "2000", "(1000/0)", "2.50/2.33", "1.00/1.00"},
	}
	for _, l := range lines[3:] {
		f := strings.Fields(l)
		if diff := cmp.Diff(want[f[0]], f[1:]); diff != "" {
			t.Errorf("unexpected %s row (-want +got):\n%s", f[0], diff)
		}
	}
	if !strings.Contains(lines[0], "6.12.0") || !strings.Contains(lines[0], "1000 sessions") {
		t.Errorf("title %q lacks the kernel or the session count", lines[0])
	}
}

// function_graph output with funcgraph-tail, as the kernel writes it:
// nested calls, leaves, a module function, a CPU switch, durations with
// each overhead mark, and lost events.
const graph = `# tracer: function_graph
#
# CPU  DURATION                  FUNCTION CALLS
# |     |   |                     |   |   |   |
 1)               |  netlink_sendmsg() {
 1)               |    genl_rcv_msg() {
 1)               |      l2tp_nl_cmd_session_create [l2tp_netlink]() {
 1)               |        register_netdevice() {
 1)   4.250 us    |          __dev_alloc_name();
 1) ! 812.125 us  |        } /* register_netdevice */
 1) # 1234.500 us |      } /* l2tp_nl_cmd_session_create [l2tp_netlink] */
 1) # 1300.000 us |    } /* genl_rcv_msg */
 ------------------------------------------
 0)  kworker-52    =>  kbench--412
 ------------------------------------------
 0) + 15.500 us   |  netlink_recvmsg();
 0)   2.000 us    |  l2tp_nl_cmd_session_delete [l2tp_netlink]();
 0) * 35012.75 us |  synchronize_net();
 0) $ 1500000 us  |  synchronize_net();
CPU:1 [LOST 7 EVENTS]
 1) @ 123456.7 us |  } /* netlink_sendmsg */
`

func TestParseFuncGraph(t *testing.T) {
	m, lost, err := ParseFuncGraph(strings.NewReader(graph))
	if err != nil {
		t.Fatal(err)
	}
	us := time.Microsecond
	want := map[string]FuncTime{
		"netlink_sendmsg":            {"netlink_sendmsg", 1, 123456700 * time.Nanosecond},
		"genl_rcv_msg":               {"genl_rcv_msg", 1, 1300 * us},
		"l2tp_nl_cmd_session_create": {"l2tp_nl_cmd_session_create", 1, 1234500 * time.Nanosecond},
		"register_netdevice":         {"register_netdevice", 1, 812125 * time.Nanosecond},
		"__dev_alloc_name":           {"__dev_alloc_name", 1, 4250 * time.Nanosecond},
		"netlink_recvmsg":            {"netlink_recvmsg", 1, 15500 * time.Nanosecond},
		"l2tp_nl_cmd_session_delete": {"l2tp_nl_cmd_session_delete", 1, 2 * us},
		"synchronize_net":            {"synchronize_net", 2, 1535012750 * time.Nanosecond},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("unexpected times (-want +got):\n%s", diff)
	}
	if lost != 7 {
		t.Errorf("lost = %d, want 7", lost)
	}
	// InOrder follows TracedFuncs.
	var names []string
	for _, f := range InOrder(m) {
		names = append(names, f.Name)
	}
	wantNames := []string{"netlink_sendmsg", "netlink_recvmsg", "genl_rcv_msg", "l2tp_nl_cmd_session_create",
		"l2tp_nl_cmd_session_delete", "register_netdevice", "__dev_alloc_name", "synchronize_net"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("unexpected order (-want +got):\n%s", diff)
	}
}

func TestComputeFloor(t *testing.T) {
	ms := time.Millisecond
	h := Handlers[Sessions]
	results := []Result{
		{Workload: Sessions, Variant: Single, Startup: []time.Duration{20 * ms, 30 * ms}, Create: []time.Duration{2000 * ms, 2500 * ms},
			Delete:       []time.Duration{400 * ms, 200 * ms},
			CreateKernel: []FuncTime{{h[0], 1000, 1300 * ms}}, DeleteKernel: []FuncTime{{h[1], 1000, 120 * ms}}},
		{Workload: Sessions, Variant: Batch, Startup: []time.Duration{10 * ms}, Create: []time.Duration{1500 * ms},
			Delete:       []time.Duration{100 * ms},
			CreateKernel: []FuncTime{{"genl_rcv_msg", 1000, 1400 * ms}, {h[0], 1000, 1200 * ms}}, DeleteKernel: []FuncTime{{h[1], 1000, 130 * ms}}},
		{Workload: Sessions, Variant: IPBatch, Startup: []time.Duration{40 * ms}, Create: []time.Duration{1600 * ms},
			Delete: []time.Duration{150 * ms}},
		{Workload: Tunnels, Variant: Batch, CreateKernel: []FuncTime{{h[0], 1, ms}}},
	}
	f, ok := ComputeFloor(Sessions, results)
	if !ok {
		t.Fatal("no floor")
	}
	// Least handler times 1200 + 120 ms, least start-up 10 ms: floor 1340
	// ms. Single's best total is 2400 ms, ip-batch's 1750 ms.
	want := Floor{Create: 1200 * ms, Delete: 120 * ms, Items: 1000, Startup: 10 * ms, Bound: 2400.0 / 1340, BoundIP: 1750.0 / 1340}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("unexpected floor (-want +got):\n%s", diff)
	}
	if _, ok := ComputeFloor(Tunnels, results); ok {
		t.Error("a floor for a workload without delete handler times")
	}
	var b bytes.Buffer
	if err := WriteKernel(&b, &Info{Release: "6.12.0", N: 1000}, Sessions, results); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, s := range []string{"l2tp_nl_cmd_session_create", "1200.0(1000)", "speed-up bound", "1.79×", "1.31×", "batch reaches 1.50× over single"} {
		if !strings.Contains(out, s) {
			t.Errorf("WriteKernel output lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "register_netdevice") {
		t.Errorf("WriteKernel shows a function never called:\n%s", out)
	}
}
