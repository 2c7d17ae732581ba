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
		{Variant: IPBatch, Startup: []time.Duration{10 * ms}, Create: []time.Duration{300 * ms}, Delete: []time.Duration{100 * ms},
			Settle: []time.Duration{ms}, CreateCalls: Counts{Send: 1000, Recv: 2000, Peek: 1000}},
		{Variant: Single, Startup: []time.Duration{10 * ms, 30 * ms, 20 * ms}, Create: []time.Duration{900 * ms, 800 * ms, 700 * ms},
			Delete: []time.Duration{100 * ms, 400 * ms, 300 * ms}, Settle: []time.Duration{ms, ms, ms}},
		{Variant: Batch, Startup: []time.Duration{10 * ms}, Create: []time.Duration{200 * ms}, Delete: []time.Duration{50 * ms},
			Settle: []time.Duration{ms}, User: []time.Duration{30 * ms}, Sys: []time.Duration{120 * ms}, CreateCalls: Counts{Send: 3, Recv: 2000, Peek: 1000, EAGAIN: 2}, DeleteCalls: Counts{Send: 2, Recv: 4}},
	}
	var b bytes.Buffer
	if err := WriteTable(&b, &Info{Release: "6.12.0", Sessions: 1000, Rounds: 3}, results); err != nil {
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
