package demo

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nl2tp/nl2tp/internal/kerneltest"
	"golang.org/x/sys/unix"
)

// EnvDemo is set to "1" by the demo launcher for the guest.
const EnvDemo = "NL2TP_DEMO"

// nl2tpBin is where the launcher puts the static nl2tp binary.
const nl2tpBin = "/bin/nl2tp"

// console serialises the demo's output and the monitor's.
type console struct{ mu sync.Mutex }

func (c *console) printf(format string, a ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Printf(format, a...)
}

func TestDemo(t *testing.T) {
	if os.Getenv(EnvDemo) != "1" {
		t.Skip("the demo runs in its VM: make demo")
	}
	var con console
	var uts unix.Utsname
	unix.Uname(&uts)
	con.printf("\n=== nl2tp demo: an L2TPv3 Ethernet pseudowire between two network namespaces ===\n")
	con.printf("kernel %s; every L2TP step below is the nl2tp binary, run as shown.\n\n", unix.ByteSliceToString(uts.Release[:]))

	// Namespaces "left" and "right", named under /run/netns as
	// "ip netns add" does, joined by a veth pair.
	left, right := kerneltest.NewNetNS(t), kerneltest.NewNetNS(t)
	for name, ns := range map[string]*kerneltest.NetNS{"left": left, "right": right} {
		bindNetns(t, name, ns)
	}
	kerneltest.Veth(t, left, "veth-l", []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")},
		right, "veth-r", []netip.Prefix{netip.MustParsePrefix("192.0.2.2/24")})
	con.printf("# namespaces left (192.0.2.1 on veth-l) and right (192.0.2.2 on veth-r), joined by a veth pair\n\n")

	// The monitor, in its own process, for the whole demo.
	con.printf("$ nl2tp -n left monitor &      # its lines are marked \"monitor|\"\n")
	mon := exec.Command(nl2tpBin, "-n", "left", "monitor")
	out, err := mon.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	mon.Stderr = os.Stdout
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	monDone := make(chan struct{})
	go func() {
		defer close(monDone)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			con.printf("    monitor| %s\n", sc.Text())
		}
	}()
	time.Sleep(time.Second) // let it subscribe

	run := func(args ...string) string {
		t.Helper()
		con.printf("$ nl2tp %s\n", strings.Join(args, " "))
		cmd := exec.Command(nl2tpBin, args...)
		b, err := cmd.CombinedOutput()
		if len(b) > 0 {
			con.printf("%s", indent(string(b)))
		}
		if err != nil {
			t.Fatalf("nl2tp %s: %v", strings.Join(args, " "), err)
		}
		time.Sleep(150 * time.Millisecond) // let the monitor print its event here
		return string(b)
	}

	con.printf("\n# a tunnel and a session in each namespace\n")
	run("-n", "left", "add", "tunnel", "tunnel_id", "1", "peer_tunnel_id", "2", "encap", "udp",
		"local", "192.0.2.1", "remote", "192.0.2.2", "udp_sport", "1701", "udp_dport", "1701")
	run("-n", "right", "add", "tunnel", "tunnel_id", "2", "peer_tunnel_id", "1", "encap", "udp",
		"local", "192.0.2.2", "remote", "192.0.2.1", "udp_sport", "1701", "udp_dport", "1701")
	run("-n", "left", "add", "session", "name", "l2tp-left", "tunnel_id", "1", "session_id", "10", "peer_session_id", "20",
		"cookie", "0a0b0c0d", "peer_cookie", "01020304")
	run("-n", "right", "add", "session", "name", "l2tp-right", "tunnel_id", "2", "session_id", "20", "peer_session_id", "10",
		"cookie", "01020304", "peer_cookie", "0a0b0c0d")
	run("-n", "left", "show", "tunnel")
	run("-n", "left", "show", "session")

	con.printf("\n# addresses on the session interfaces: 198.51.100.1 (left), 198.51.100.2 (right)\n")
	for _, e := range []struct {
		ns   *kerneltest.NetNS
		name string
		addr string
	}{{left, "l2tp-left", "198.51.100.1/24"}, {right, "l2tp-right", "198.51.100.2/24"}} {
		if err := e.ns.AddAddr(e.name, netip.MustParsePrefix(e.addr)); err != nil {
			t.Fatal(err)
		}
		if err := e.ns.LinkUp(e.name); err != nil {
			t.Fatal(err)
		}
	}
	echo := kerneltest.UDPEchoServer(t, right, netip.MustParseAddrPort("198.51.100.2:7"))
	traffic := func(n int) {
		t.Helper()
		got, err := kerneltest.UDPPing(left, echo, n, 200, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		con.printf("\n# traffic: %d UDP datagrams of 200 bytes from 198.51.100.1 to the echo server at %v, through the pseudowire: %d came back\n", n, echo, got)
		if got == 0 {
			t.Fatal("no traffic crossed the pseudowire")
		}
	}
	traffic(10)
	run("-n", "left", "-s", "show", "session")
	traffic(40)
	run("-n", "left", "-s", "show", "session")
	run("-n", "right", "-j", "-p", "-s", "show", "session", "name", "l2tp-right")

	con.printf("\n# what ip cannot do: change a session, and errors that say what went wrong\n")
	run("-n", "left", "modify", "session", "name", "l2tp-left", "seq", "both")
	con.printf("$ nl2tp -n left del tunnel tunnel_id 999\n")
	b, _ := exec.Command(nl2tpBin, "-n", "left", "del", "tunnel", "tunnel_id", "999").CombinedOutput()
	con.printf("%s", indent(string(b)))

	con.printf("\n# teardown\n")
	run("-n", "left", "del", "session", "name", "l2tp-left")
	run("-n", "right", "del", "session", "tunnel_id", "2", "session_id", "20")
	run("-n", "left", "del", "tunnel", "tunnel_id", "1")
	run("-n", "right", "del", "tunnel", "tunnel_id", "2")
	time.Sleep(300 * time.Millisecond)
	mon.Process.Signal(syscall.SIGINT)
	<-monDone
	if err := mon.Wait(); err != nil {
		t.Errorf("monitor: %v", err)
	}
	run("-n", "left", "-j", "show", "tunnel")
	con.printf("\n=== demo done ===\n")
}

// bindNetns makes ns reachable as /run/netns/name, as "ip netns add" does.
func bindNetns(t *testing.T, name string, ns *kerneltest.NetNS) {
	t.Helper()
	target := filepath.Join("/run/netns", name)
	if err := os.MkdirAll("/run/netns", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf("/proc/self/fd/%d", ns.FD())
	if err := unix.Mount(src, target, "", unix.MS_BIND, ""); err != nil {
		t.Fatalf("bind %s to %s: %v", src, target, err)
	}
	t.Cleanup(func() {
		unix.Unmount(target, unix.MNT_DETACH)
		os.Remove(target)
	})
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}
