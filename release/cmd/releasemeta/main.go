// Command releasemeta is release/check.sh's helper: after a goreleaser
// run it stages the Claude Desktop bundles and writes server.json.
//
//	releasemeta stage -dist dist -out dist/mcpb -license LICENSE
//	releasemeta serverjson -dist dist
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/neonkeys/neonkeys/release"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "releasemeta:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: releasemeta stage|serverjson [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	dist := fs.String("dist", "dist", "goreleaser's dist folder")
	out := fs.String("out", "dist/mcpb", "stage: where to lay out one folder per bundle")
	license := fs.String("license", "LICENSE", "stage: the licence file each bundle carries")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	d, err := release.ReadDist(*dist)
	if err != nil {
		return err
	}
	switch args[0] {
	case "stage":
		dirs, err := release.Stage(ctx, d, *out, *license)
		if err != nil {
			return err
		}
		// One line per bundle for the script: platform, folder, bundle file.
		for _, p := range release.Platforms() {
			fmt.Printf("%s %s %s\n", p, dirs[p], release.BundleFile(d.Version, p))
		}
		return nil
	case "serverjson":
		path, err := release.WriteServerJSON(d)
		if err != nil {
			return err
		}
		fmt.Println(path)
		return nil
	}
	return fmt.Errorf("unknown command %q: stage or serverjson", args[0])
}
