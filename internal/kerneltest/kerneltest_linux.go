package kerneltest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/nl2tp/nl2tp/netlinkraw"
	"golang.org/x/sys/unix"
)

// EnvVM is set to "1" by the VM rig's /init for the tests it runs.
const EnvVM = "NL2TP_VM"

// InVM reports whether the tests run inside the VM rig.
func InVM() bool { return os.Getenv(EnvVM) == "1" }

// Require makes a test that needs a kernel with L2TP run only where it
// can. In the VM (NL2TP_VM=1) it never skips: it fails the test if the
// generic netlink family "l2tp" cannot be resolved. On a host it skips,
// saying why, unless the process is root and the kernel has L2TP
// (resolving the family also makes the kernel load l2tp_netlink when it
// can).
func Require(tb testing.TB) {
	tb.Helper()
	if InVM() {
		if err := l2tpFamily(); err != nil {
			tb.Fatalf("kerneltest: L2TP unavailable in the test VM: %v", err)
		}
		return
	}
	if os.Geteuid() != 0 {
		tb.Skip("kerneltest: needs root and a kernel with L2TP; run make vmtest to run it in VMs")
	}
	if err := l2tpFamily(); err != nil {
		tb.Skipf("kerneltest: the kernel has no L2TP (%v); run make vmtest to run it in VMs", err)
	}
}

// l2tpFamily resolves the generic netlink family "l2tp".
func l2tpFamily() error {
	c, err := netlinkraw.Dial(unix.NETLINK_GENERIC, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.ResolveFamily(ctx, "l2tp")
	return err
}

// A NetNS is a network namespace made for one test. Its methods are safe
// for concurrent use.
type NetNS struct {
	f *os.File

	mu   sync.Mutex
	rtnl *netlinkraw.Conn
}

// NewNetNS makes a fresh network namespace with its loopback interface up.
// It is released when the test ends (the kernel destroys it, and the
// interfaces in it, once nothing refers to it any more).
func NewNetNS(tb testing.TB) *NetNS {
	tb.Helper()
	ns, err := newNetNS()
	if err != nil {
		tb.Fatalf("kerneltest: %v", err)
	}
	tb.Cleanup(func() { ns.close() })
	if err := ns.LinkUp("lo"); err != nil {
		tb.Fatalf("kerneltest: %v", err)
	}
	return ns
}

func newNetNS() (*NetNS, error) {
	f, err := UnshareNetNS(nil)
	if err != nil {
		return nil, err
	}
	return &NetNS{f: f}, nil
}

// UnshareNetNS makes a fresh network namespace, runs setup in it (see
// InNetNS; nil for nothing) and returns a descriptor that keeps the
// namespace alive: closing it, once no process runs in the namespace,
// destroys the namespace and the interfaces in it. Unlike NewNetNS, it
// leaves lo down (unless setup sets it up) and is not tied to a test.
func UnshareNetNS(setup func() error) (*os.File, error) {
	var f *os.File
	unshare := func() error { return os.NewSyscallError("unshare", unix.Unshare(unix.CLONE_NEWNET)) }
	err := onNetNSThread(unshare, func() error {
		var err error
		if f, err = os.Open("/proc/thread-self/ns/net"); err != nil {
			return fmt.Errorf("network namespace: %w", err)
		}
		if setup != nil {
			return setup()
		}
		return nil
	})
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, err
	}
	return f, nil
}

// InNetNS runs fn on an OS thread switched into the network namespace
// nsFD, so that sockets fn opens and processes it starts belong to that
// namespace, and returns fn's error. The thread is switched back
// afterwards; if that fails, the thread is never reused. Goroutines fn
// starts run on other threads, outside the namespace.
func InNetNS(nsFD int, fn func() error) error {
	return onNetNSThread(func() error { return os.NewSyscallError("setns", unix.Setns(nsFD, unix.CLONE_NEWNET)) }, fn)
}

// onNetNSThread runs enter, which moves the calling thread into another
// network namespace, and then fn, on a locked OS thread, and moves the
// thread back into its own namespace. It returns enter's error, or fn's
// joined with a failure to move back, after which the thread stays locked
// and ends with its goroutine.
func onNetNSThread(enter, fn func() error) error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- fmt.Errorf("network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := enter(); err != nil {
			runtime.UnlockOSThread()
			ch <- fmt.Errorf("network namespace: %w", err)
			return
		}
		ferr := fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			// Stay locked: the thread dies with this goroutine.
			ch <- errors.Join(ferr, fmt.Errorf("network namespace: restoring the thread's namespace: %w", os.NewSyscallError("setns", err)))
			return
		}
		runtime.UnlockOSThread()
		ch <- ferr
	}()
	return <-ch
}

func (ns *NetNS) close() {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.rtnl != nil {
		ns.rtnl.Close()
		ns.rtnl = nil
	}
	ns.f.Close()
}

// FD returns a file descriptor of the namespace, for l2tp.Config.NetNS and
// netlinkraw.Config.NetNS. It is valid until the test ends.
func (ns *NetNS) FD() int { return int(ns.f.Fd()) }

// Do runs fn on an OS thread switched into the namespace, so that sockets
// fn opens belong to it, and returns fn's error. The thread is switched
// back afterwards; if that fails, the thread is never reused. Goroutines
// fn starts run on other threads, outside the namespace.
func (ns *NetNS) Do(fn func() error) error { return InNetNS(ns.FD(), fn) }

// route returns the namespace's rtnetlink socket, opening it on first use.
func (ns *NetNS) route() (*netlinkraw.Conn, error) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.rtnl == nil {
		c, err := netlinkraw.Dial(unix.NETLINK_ROUTE, &netlinkraw.Config{NetNS: ns.FD()})
		if err != nil {
			return nil, fmt.Errorf("kerneltest: %w", err)
		}
		ns.rtnl = c
	}
	return ns.rtnl, nil
}
