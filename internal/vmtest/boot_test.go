package vmtest

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
)

// cachedKernel returns the kernel of line already in the module's cache
// (make kernels puts it there), or skips the test.
func cachedKernel(t *testing.T, line string) *Kernel {
	t.Helper()
	k, err := Cached(filepath.Join("..", "..", ".cache"), line)
	if err != nil {
		t.Skipf("%v; run make kernels", err)
	}
	if k.Line != line || !strings.HasPrefix(k.Release, line+".") {
		t.Fatalf("Cached(%q) = %+v", line, k)
	}
	return k
}

func TestCachedUnknownLine(t *testing.T) {
	if _, err := Cached(t.TempDir(), "5.10"); err == nil || !strings.Contains(err.Error(), "unknown kernel line") {
		t.Errorf("Cached(5.10) error = %v", err)
	}
	if _, err := Cached(t.TempDir(), "6.1"); err == nil || !strings.Contains(err.Error(), "no 6.1 kernel") {
		t.Errorf("Cached in an empty folder: error = %v", err)
	}
}

func TestResolveModules(t *testing.T) {
	for _, line := range LineNames() {
		t.Run(line, func(t *testing.T) {
			k := cachedKernel(t, line)
			if _, err := exec.LookPath("xz"); err != nil {
				t.Skip("xz not installed")
			}
			mods, err := ResolveModules(k, TestModules)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range mods {
				names = append(names, m.Name)
				if want := strings.HasSuffix(m.Path, ".xz"); m.Compressed() != want {
					t.Errorf("%s: Compressed() = %v for %s", m.Name, m.Compressed(), m.Path)
				}
			}
			for _, m := range TestModules {
				if !slices.Contains(names, m) {
					t.Errorf("module %s missing from %v", m, names)
				}
			}
			// Dependencies come first.
			for _, dep := range [][2]string{{"udp_tunnel", "l2tp_core"}, {"ip6_udp_tunnel", "l2tp_core"}, {"l2tp_core", "l2tp_netlink"}, {"l2tp_netlink", "l2tp_eth"}, {"l2tp_ip", "l2tp_ip6"}} {
				if slices.Index(names, dep[0]) > slices.Index(names, dep[1]) {
					t.Errorf("%s loads before its dependency %s: %v", dep[1], dep[0], names)
				}
			}
			if len(names) != len(TestModules) {
				t.Errorf("got modules %v, want only the %d test modules (they need nothing else on Debian's cloud kernels)", names, len(TestModules))
			}
			if _, err := ResolveModules(k, []string{"nl2tp_no_such_module"}); err == nil || !strings.Contains(err.Error(), "neither built in nor in the package") {
				t.Errorf("missing module: got %v", err)
			}
			// A built-in module is left out silently (ipv6 is built in).
			if mods, err := ResolveModules(k, []string{"ipv6"}); err != nil || len(mods) != 0 {
				t.Errorf("built-in ipv6: got %v, %v; want nothing", mods, err)
			}
		})
	}
}

func requireQEMU(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("boots a VM; skipped in -short mode")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed (.ci/install installs it)")
	}
}

// TestBootPanic boots with an /init the kernel cannot run: the kernel
// panics ("No working init found") and Boot must say so.
func TestBootPanic(t *testing.T) {
	requireQEMU(t)
	k := cachedKernel(t, "6.12")
	bad := filepath.Join(t.TempDir(), "init")
	if err := os.WriteFile(bad, []byte("not a program\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var console strings.Builder
	res, err := Boot(context.Background(), &Config{Kernel: k, Init: bad, Timeout: 2 * time.Minute, Console: &console, CPUs: 1, MemoryMB: 256})
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("Boot() error = %v, want a panic; console:\n%s", err, console.String())
	}
	if res == nil || !strings.Contains(res.Panic, "No working init found") || res.PoweredOff || res.TimedOut {
		t.Errorf("result %+v, want the panic line only", res)
	}
}

// TestBootTimeout gives the VM less time than the kernel needs to boot.
func TestBootTimeout(t *testing.T) {
	requireQEMU(t)
	k := cachedKernel(t, "6.1")
	bad := filepath.Join(t.TempDir(), "init")
	if err := os.WriteFile(bad, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := Boot(context.Background(), &Config{Kernel: k, Init: bad, Timeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("Boot() error = %v, want a timeout", err)
	}
	if res == nil || !res.TimedOut {
		t.Errorf("result %+v, want TimedOut", res)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("Boot took %v to give up", d)
	}
}

func TestBootArgs(t *testing.T) {
	_, err := Boot(context.Background(), &Config{Kernel: &Kernel{}, Init: "x", Args: []string{"a b"}})
	if err == nil || !strings.Contains(err.Error(), "without spaces or quotes") {
		t.Errorf("Boot with an argument holding a space: %v", err)
	}
}

// TestRunCommand boots the rig's /init with busybox and runs a shell
// command, as the demo does: the exit status, the console, the symlink and
// the modules must all come through.
func TestRunCommand(t *testing.T) {
	requireQEMU(t)
	k := cachedKernel(t, "6.12")
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox not installed (Debian: busybox-static)")
	}
	if f, err := elf.Open(busybox); err != nil {
		t.Skip(err)
	} else {
		dynamic := slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP })
		f.Close()
		if dynamic {
			t.Skipf("%s is not static (Debian: busybox-static)", busybox)
		}
	}
	initBin := filepath.Join(t.TempDir(), "vminit")
	if err := BuildInit(context.Background(), filepath.Join("..", ".."), initBin); err != nil {
		t.Fatal(err)
	}
	var console strings.Builder
	cfg := &Config{
		Kernel:   k,
		Init:     initBin,
		Files:    map[string]string{"/bin/busybox": busybox},
		Symlinks: map[string]string{"/bin/sh": "busybox"},
		Data:     map[string][]byte{"/etc/greeting": []byte("hello from the host\n")},
		Modules:  []string{"l2tp_eth"},
		Timeout:  2 * time.Minute,
		Console:  &console,
	}
	code, res, err := RunCommand(context.Background(), cfg, guest.Command{Argv: []string{
		"/bin/sh", "-c", `cat /etc/greeting; test -d /sys/module/l2tp_eth && echo l2tp_eth-loaded; echo "vm=$NL2TP_VM"; exit 3`}})
	if err != nil {
		t.Fatalf("RunCommand: %v\nconsole:\n%s", err, console.String())
	}
	if code != 3 {
		t.Errorf("exit status %d, want 3", code)
	}
	for _, want := range []string{"hello from the host", "l2tp_eth-loaded", "vm=1"} {
		if !strings.Contains(console.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, console.String())
		}
	}
	if !res.PoweredOff {
		t.Errorf("result %+v: not powered off", res)
	}
}
