// Command golden regenerates the golden netlink captures under testdata/
// (`make golden`): for each kernel line it boots a Debian cloud kernel in
// a qemu VM (package vmtest) with the capture program
// (internal/golden/cmd/capture) as the command, Debian's /usr/bin/ip and
// its shared libraries, reads back what the program captured on an nlmon
// interface, and writes
//
//	testdata/<line>/<op>.<kind>[.<n>].bin   one netlink datagram each
//	testdata/<line>/manifest.json           the run and each file's origin
//	testdata/README.md                      how each file was made
//	l2tp/testdata/fuzz/FuzzDecode*/golden-* seed corpora from the captures
//
// Usage: go run ./internal/golden/cmd/golden [-kernels 6.1,6.12]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nl2tp/nl2tp/internal/golden"
	"github.com/nl2tp/nl2tp/internal/vmtest"
	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

func main() { vmtest.Main("golden", run) }

// A Manifest is testdata/<line>/manifest.json.
type Manifest struct {
	Line    string // kernel line, "6.12"
	Package string // Debian package of the kernel
	Version string // its Debian version
	Info    golden.Info
	Ops     []ManifestOp
}

// A ManifestOp is one stored operation.
type ManifestOp struct {
	Name, Tool, Detail string
	Files              []ManifestFile
}

// A ManifestFile is one stored datagram.
type ManifestFile struct {
	Name     string
	Kind     string
	Bytes    int
	Messages int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("golden", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kernels := fs.String("kernels", strings.Join(vmtest.LineNames(), ","), "comma-separated kernel `lines`")
	cache := fs.String("cache", "", "cache `folder` (default: .cache in the module root)")
	verbose := fs.Bool("v", false, "show the VM console")
	if ok, err := vmtest.ParseFlags(fs, args); !ok {
		return err
	}
	root, cacheDir, err := vmtest.Folders(*cache)
	if err != nil {
		return err
	}
	lines, err := vmtest.KernelLines(*kernels)
	if err != nil {
		return err
	}

	bin, err := os.MkdirTemp("", "golden-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	initBin, captureBin, err := vmtest.BuildCommand(ctx, root, "./internal/golden/cmd/capture", bin)
	if err != nil {
		return err
	}
	files, err := vmtest.HostBinary("/usr/bin/ip")
	if err != nil {
		return err
	}
	files["/capture"] = captureBin

	// Boot the kernels in parallel: each VM is single-threaded TCG.
	type result struct {
		m   *Manifest
		ops []golden.Op
		err error
	}
	results := make([]result, len(lines))
	var wg sync.WaitGroup
	for i, line := range lines {
		wg.Go(func() {
			k, err := vmtest.Fetch(ctx, cacheDir, line, stderr)
			if err != nil {
				results[i].err = err
				return
			}
			m, ops, err := capture(ctx, k, initBin, files, stderr, *verbose)
			results[i] = result{m, ops, err}
		})
	}
	wg.Wait()
	var errs []error
	for i, r := range results {
		if r.err != nil {
			errs = append(errs, fmt.Errorf("kernel %s: %w", lines[i], r.err))
			continue
		}
		if err := write(root, r.m, r.ops); err != nil {
			return err
		}
		n := 0
		for _, o := range r.m.Ops {
			n += len(o.Files)
		}
		fmt.Fprintf(stdout, "golden: kernel %s (%s): %d operations, %d files in testdata/%s\n", r.m.Info.Release, r.m.Version, len(r.m.Ops), n, r.m.Line)
	}
	if err := writeReadme(root); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// capture boots k and runs the capture program.
func capture(ctx context.Context, k *vmtest.Kernel, initBin string, files map[string]string, stderr io.Writer, verbose bool) (*Manifest, []golden.Op, error) {
	p := &vmtest.Reports[golden.Info, golden.Op]{InfoMark: golden.MarkInfo, ItemMark: golden.MarkOp,
		Prefix: "[" + k.Line + "] ", Log: stderr, Verbose: verbose, Show: "capture:"}
	cfg := &vmtest.Config{
		Kernel:   k,
		Init:     initBin,
		Files:    files,
		Modules:  vmtest.TestModules,
		Timeout:  15 * time.Minute,
		Console:  p,
		MemoryMB: 1536,
	}
	start := time.Now()
	code, _, err := vmtest.RunCommand(ctx, cfg, guest.Command{Argv: []string{"/capture"}})
	if p.Err != nil {
		return nil, nil, p.Err
	}
	if err != nil {
		return nil, nil, err
	}
	if code != 0 {
		return nil, nil, fmt.Errorf("capture exited with status %d (run with -v to see the console)", code)
	}
	if p.Info == nil {
		return nil, nil, errors.New("the capture program printed no info line")
	}
	fmt.Fprintf(stderr, "golden: kernel %s: captured %d operations in %v\n", k.Line, len(p.Items), time.Since(start).Round(time.Second))
	return &Manifest{Line: k.Line, Package: k.Package, Version: k.Version, Info: *p.Info}, p.Items, nil
}

// write stores one kernel's captures and fuzz seeds.
func write(root string, m *Manifest, ops []golden.Op) error {
	dir := filepath.Join(root, "testdata", m.Line)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
	for _, f := range old {
		os.Remove(f)
	}
	seeds := newSeeds(root, m.Line)
	for _, op := range ops {
		if !op.Keep {
			continue
		}
		mo := ManifestOp{Name: op.Name, Tool: op.Tool, Detail: op.Detail}
		for i, name := range op.FileNames() {
			f := op.Frames[i]
			if err := os.WriteFile(filepath.Join(dir, name), f.Data, 0o644); err != nil {
				return err
			}
			n := seeds.add(m.Info.FamilyID, strings.TrimSuffix(name, ".bin"), f)
			mo.Files = append(mo.Files, ManifestFile{Name: name, Kind: f.Kind, Bytes: len(f.Data), Messages: n})
		}
		m.Ops = append(m.Ops, mo)
	}
	b, err := json.MarshalIndent(m, "", "\t")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return seeds.write()
}

// maxEventSeed is the largest datagram used as a FuzzDecodeEvent seed.
const maxEventSeed = 8 << 10

// seeds collects fuzz seed inputs from the captured datagrams.
type seeds struct {
	root, line string
	files      map[string]string // corpus path → contents
	seen       map[string]bool
}

func newSeeds(root, line string) *seeds {
	return &seeds{root: root, line: line, files: map[string]string{}, seen: map[string]bool{}}
}

// add adds the seeds of one datagram and returns how many netlink messages
// it holds. The attributes of the first tunnel and first session message
// seed FuzzDecodeTunnel and FuzzDecodeSession; the whole datagram (if
// small), with the family ID of its boot, seeds FuzzDecodeEvent.
func (s *seeds) add(family uint16, stem string, f golden.Frame) int {
	var d netlinkraw.MessageDecoder
	d.Reset(f.Data)
	n := 0
	tunnel, session := false, false
	for d.Next() {
		n++
		h := d.Header()
		if h.Type != family {
			continue
		}
		gh, attrs, err := netlinkraw.ParseGenlHeader(d.Payload())
		if err != nil {
			continue
		}
		switch {
		case gh.Command >= 1 && gh.Command <= 4 && !tunnel:
			tunnel = true
			s.put("FuzzDecodeTunnel", stem, fmt.Sprintf("[]byte(%q)\n", attrs))
		case gh.Command >= 5 && gh.Command <= 8 && !session:
			session = true
			s.put("FuzzDecodeSession", stem, fmt.Sprintf("[]byte(%q)\n", attrs))
		}
	}
	// Big dump datagrams make slow seeds; their messages are like the
	// small ones'.
	if f.Kind != golden.KindRequest && len(f.Data) <= maxEventSeed {
		s.put("FuzzDecodeEvent", stem, fmt.Sprintf("uint16(%d)\n[]byte(%q)\n", family, f.Data))
	}
	return n
}

func (s *seeds) put(target, stem, body string) {
	key := target + body
	if s.seen[key] {
		return
	}
	s.seen[key] = true
	p := filepath.Join(s.root, "l2tp", "testdata", "fuzz", target, "golden-"+s.line+"-"+stem)
	s.files[p] = "go test fuzz v1\n" + body
}

func (s *seeds) write() error {
	for _, target := range []string{"FuzzDecodeTunnel", "FuzzDecodeSession", "FuzzDecodeEvent"} {
		dir := filepath.Join(s.root, "l2tp", "testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		old, _ := filepath.Glob(filepath.Join(dir, "golden-"+s.line+"-*"))
		for _, f := range old {
			os.Remove(f)
		}
	}
	for p, body := range s.files {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeReadme writes testdata/README.md from the manifests of every
// kernel line in testdata/.
func writeReadme(root string) error {
	dirs, _ := filepath.Glob(filepath.Join(root, "testdata", "*", "manifest.json"))
	var ms []Manifest
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var m Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Line < ms[j].Line })
	var b strings.Builder
	b.WriteString(readmeHead)
	for _, m := range ms {
		fmt.Fprintf(&b, "\n## %s: kernel %s\n\n", m.Line, m.Info.Release)
		fmt.Fprintf(&b, "Debian package %s %s, x86-64, booted under qemu (TCG). %s.\n", m.Package, m.Version, m.Info.IP)
		fmt.Fprintf(&b, "In this boot the l2tp family had ID %d and its multicast group ID %d.\n\n", m.Info.FamilyID, m.Info.Group)
		b.WriteString("| operation | made with | files (kind: bytes/messages) |\n|---|---|---|\n")
		for _, o := range m.Ops {
			var fs []string
			for _, f := range o.Files {
				fs = append(fs, fmt.Sprintf("`%s` (%s: %d/%d)", strings.TrimPrefix(f.Name, o.Name), f.Kind, f.Bytes, f.Messages))
			}
			fmt.Fprintf(&b, "| `%s` | %s: `%s` | %s |\n", o.Name, o.Tool, strings.ReplaceAll(o.Detail, "|", "\\|"), strings.Join(fs, "<br>"))
		}
	}
	return os.WriteFile(filepath.Join(root, "testdata", "README.md"), []byte(b.String()), 0o644)
}

const readmeHead = `# Golden netlink captures

Generated by ` + "`make golden`" + ` (internal/golden/cmd/golden); do not edit. The files
are committed; ` + "`make golden`" + ` is not part of ` + "`make test`" + `.

For each kernel line, a Debian cloud kernel boots in a qemu VM (internal/vmtest)
with the capture program (internal/golden/cmd/capture) as its command. That program
creates an ` + "`nlmon`" + ` interface, listens on it with an AF_PACKET socket, and runs
a script of L2TP operations in the VM's network namespace: through iproute2's
` + "`ip l2tp`" + ` (Debian's /usr/bin/ip and its shared libraries, copied from the host)
where it can, through package l2tp ("nl2tp") for gets, modifies and batches, and
through hand-made requests ("raw", netlinkraw.Encoder) for requests neither sends
(a 9-byte cookie, a 16-byte interface name, a PPP pseudowire, a TUNNEL_CREATE
without CONN_ID).

Each ` + "`.bin`" + ` file is one netlink datagram exactly as nlmon saw it: one socket
buffer, starting with a ` + "`struct nlmsghdr`" + ` (nlmon frames have no link-layer
header), holding one or more netlink messages. Only L2TP traffic is kept: requests
to the l2tp family and the kernel's replies, events, ACKs, errors and NLMSG_DONE
for them (family resolution and rtnetlink are left out). Names:
` + "`<operation>.<kind>[.<n>].bin`" + `, where kind is

- request: user space to kernel;
- reply: a TUNNEL_GET or SESSION_GET answer (a dump's datagram, whose last may also hold NLMSG_DONE);
- done: a datagram holding only NLMSG_DONE;
- ack: NLMSG_ERROR with error 0;
- error: NLMSG_ERROR with an errno, and the extended ACK if the kernel sent one;
- event: a multicast event delivered to the subscription of package l2tp;

and n counts datagrams of the same kind within one operation, in order.

The generic netlink family ID of l2tp is assigned at boot, so it differs between
kernels and boots (see each table); tests must not depend on it. Sequence
numbers (iproute2 seeds them with the time) and port IDs differ between runs.
manifest.json in each folder lists the same as the tables below.

Objects: tunnels 1 and 21 are UDP/IPv4 peers of each other (127.0.0.1, ports
5001/6001), 2 is UDP/IPv6 (::1, 5002/6002), 3 IP/IPv4, 4 IP/IPv6, 5 UDP/IPv4
made by nl2tp (5005/6005), 6 the tunnel of the event operations. Sessions 11
(tunnel 1, l2tpeth1) and 21 (tunnel 21, l2tpeth21) carry cookies and are each
other's peer; the traffic step sends 5 Ethernet frames of 100 bytes on l2tpeth1
and 3 of 60 bytes on l2tpeth21 (IPv6 is off on the session interfaces, so nothing
else is sent), which the gets and dumps then count. session_dump_many lists 400
more sessions of tunnel 5.

What the captures show (l2tp/golden_test.go pins each):

- TUNNEL_GET replies and all events carry NLM_F_ACK in their header; SESSION_GET
  replies carry no flag. Events carry the requester's port ID and sequence number.
- STATS is not marked NLA_F_NESTED; all ten counters are reported on both kernels.
- A reorder timeout of 250 ms reads back as 252 ms: the kernel keeps it in jiffies
  (HZ=250).
- Policy errors (9-byte cookie: ERANGE; 16-byte name: EINVAL) carry the text
  "Attribute failed policy validation", the offset of the attribute and an
  NLMSGERR_ATTR_POLICY; the L2TP handlers' own errors carry no extended ACK.
  iproute2 does not ask for NETLINK_CAP_ACK, so its errors echo the whole request.
- iproute2 sends PEER_CONN_ID 0 and L2SPEC_LEN with each SESSION_CREATE, and the
  tunnel ID it filters on in a dump request, which the kernel ignores.
- Dumps list tunnels by ID on both kernels; sessions by ID on 6.12 and in hash
  order on 6.1. NLMSG_DONE comes in a datagram of its own.
- A second session 11 in UDP tunnel 1 (session_create_duplicate_id): 6.1 refuses
  it with EEXIST; 6.12 accepts it, and its dumps then list the new session instead
  of the first one.
`
