package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/nl2tp/nl2tp/internal/text"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err as one line and returns the exit status: 0 for
// success, 2 for a usage error, 1 for a failed operation.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	io.WriteString(stderr, "nl2tp: "+oneLine(err.Error())+"\n")
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, text.IsSpace), " ")
}

// run is the whole command: args without the program name.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runWith(ctx, args, os.Stdin, stdout, stderr, dialL2TP)
}

// globalOpts are the options before the command, as ip takes them.
type globalOpts struct {
	printOpts
	netns string // -n NAME or -netns NAME|PATH
	batch string // -batch FILE, "-" for stdin
	force bool   // -force
}

// parseGlobal parses the leading options. Like ip, it takes any prefix of
// an option's name ("-j", "-json"), and "--x" as "-x".
func parseGlobal(args []string) (globalOpts, []string, command, error) {
	var g globalOpts
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		opt := args[0]
		if strings.HasPrefix(opt, "--") {
			opt = opt[1:]
		}
		args = args[1:]
		value := func() (string, error) {
			if len(args) == 0 {
				return "", usageErr("option " + opt + " needs a value")
			}
			v := args[0]
			args = args[1:]
			return v, nil
		}
		var err error
		switch {
		case opt == "-h" || matches(opt, "-help"):
			return g, nil, &helpCmd{}, nil
		case opt == "-V" || matches(opt, "-Version"):
			return g, nil, &versionCmd{}, nil
		case matches(opt, "-json"):
			g.json = true
		case matches(opt, "-pretty"):
			g.pretty = true
		case matches(opt, "-stats") || matches(opt, "-statistics"):
			g.stats = true
		case matches(opt, "-netns"):
			g.netns, err = value()
			if err == nil && g.netns == "" {
				err = usageErr("option " + opt + ": empty network namespace name")
			}
		case matches(opt, "-batch"):
			g.batch, err = value()
		case len(opt) >= 3 && matches(opt, "-force"):
			g.force = true
		default:
			err = usageErr("unknown option " + strconv.Quote(opt) + "; try \"nl2tp help\"")
		}
		if err != nil {
			return g, nil, nil, err
		}
	}
	return g, args, nil, nil
}

// versionCmd is -V.
type versionCmd struct{}

func (*versionCmd) op() string { return "version" }

// runWith is run with its inputs made explicit: stdin is read by
// "-batch -", dial opens the backend.
func runWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, dial dialFunc) error {
	g, rest, c, err := parseGlobal(args)
	if err != nil {
		return err
	}
	if c == nil && g.batch != "" {
		if len(rest) > 0 {
			return usageErr("-batch takes no command, got " + strconv.Quote(strings.Join(rest, " ")))
		}
		return runBatch(ctx, g, stdin, stdout, stderr, dial)
	}
	if g.force {
		return usageErr("-force applies only with -batch")
	}
	if c == nil {
		c, err = parseCommand(rest)
		if err != nil {
			return err
		}
	}
	switch c := c.(type) {
	case *helpCmd:
		_, err := io.WriteString(stdout, usage(c.Topic))
		return err
	case *versionCmd:
		_, err := io.WriteString(stdout, "nl2tp "+version()+"\n")
		return err
	}
	for _, k := range ignoredKeywords(rest) {
		io.WriteString(stderr, "Ignoring option "+strconv.Quote(k)+"\n")
	}
	b, err := dial(g.netns)
	if err != nil {
		return err
	}
	defer b.Close()
	bw := bufio.NewWriter(stdout)
	err = execute(ctx, b, c, g.printOpts, bw)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

// opError is a failed operation: "delete tunnel 999: tunnel not found".
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// execute performs one parsed command.
func execute(ctx context.Context, b backend, c command, o printOpts, w *bufio.Writer) error {
	var err error
	switch c := c.(type) {
	case *addTunnelCmd:
		err = b.CreateTunnel(ctx, c)
	case *delTunnelCmd:
		err = b.DeleteTunnel(ctx, c)
	case *addSessionCmd:
		err = b.CreateSession(ctx, c)
	case *delSessionCmd:
		err = b.DeleteSession(ctx, c)
	case *modifySessionCmd:
		err = b.ModifySession(ctx, c)
	case *showCmd:
		err = show(ctx, b, c, o, w)
	case *monitorCmd:
		err = b.Monitor(ctx, func(e event) error {
			if err := writeEvent(w, e, o); err != nil {
				return err
			}
			return w.Flush()
		})
	default:
		return usageErr(c.op() + " cannot be used here")
	}
	if err != nil {
		return &opError{c.op(), err}
	}
	return nil
}

// show lists tunnels or sessions, filtered here because the kernel's dumps
// ignore filters.
func show(ctx context.Context, b backend, c *showCmd, o printOpts, w io.Writer) error {
	if !c.Sessions {
		ts, err := b.Tunnels(ctx)
		if err != nil {
			return err
		}
		out := ts[:0:0]
		for _, t := range ts {
			if c.TunnelID == 0 || t.ID == c.TunnelID {
				out = append(out, t)
			}
		}
		return writeTunnels(w, out, o)
	}
	ss, err := b.Sessions(ctx)
	if err != nil {
		return err
	}
	out := ss[:0:0]
	for _, s := range ss {
		if (c.TunnelID == 0 || s.TunnelID == c.TunnelID) &&
			(c.SessionID == 0 || s.SessionID == c.SessionID) &&
			(c.Name == "" || s.Name == c.Name) {
			out = append(out, s)
		}
	}
	return writeSessions(w, out, o)
}
