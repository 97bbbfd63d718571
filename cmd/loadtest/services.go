package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// services are the running mailautoconf instances, by name.
type services struct {
	procs map[string]*exec.Cmd
	addrs map[string]string
}

func (s *services) url(name string) string { return "http://" + s.addrs[name] }

func (s *services) stop() {
	for _, p := range s.procs {
		p.Process.Kill()
		p.Wait()
	}
}

// startServices starts the named instances, all on the embedded default
// configuration: "plain" is unsigned, "ecdsa" and "rsa" sign profiles with a
// throwaway certificate of that key type.
func startServices(binary, work string, names []string) (*services, error) {
	s := &services{procs: map[string]*exec.Cmd{}, addrs: map[string]string{}}
	for _, name := range names {
		var extra []string
		if name != "plain" {
			cert, key, err := writeSigningPair(work, name)
			if err != nil {
				return nil, err
			}
			extra = []string{"--sign-cert", cert, "--sign-key", key}
		}
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		// Rate limiting is off and the render budget wide open (one render
		// per core, callers wait): the run measures throughput, not the
		// limits; -flood measures those.
		args := append([]string{"serve", "--listen", addr, "--rate-limit", "0",
			"--render-slots", strconv.Itoa(runtime.NumCPU()), "--render-queue", "1000", "--render-wait", "10s"}, extra...)
		// wrk's connections and the harness's all come from 127.0.0.1:
		// the per-client connection limit (64) would refuse some of them
		// (socket errors, reconnections) and measure itself. -conn-flood
		// measures it; binaries from before it have no such flag.
		if hasFlag(binary, "max-client-connections") {
			args = append(args, "--max-client-connections", "0")
		}
		cmd := exec.Command(binary, args...)
		logFile, err := os.Create(filepath.Join(work, name+".log"))
		if err != nil {
			return nil, err
		}
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("starting %s instance: %w", name, err)
		}
		s.procs[name], s.addrs[name] = cmd, addr
		if err := waitReady("http://" + addr); err != nil {
			s.stop()
			return nil, fmt.Errorf("%s instance: %w (log: %s)", name, err, logFile.Name())
		}
	}
	return s, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitReady(base string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/mail/config-v1.1.xml?emailaddress=ready@example.ch")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready after 15 s")
}

// writeSigningPair makes a throwaway CA and a leaf of the given key type
// ("rsa" or "ecdsa") and writes the leaf+intermediate chain and the leaf key
// as PEM.
func writeSigningPair(dir, kind string) (certPath, keyPath string, err error) {
	k := testkit.ECDSA
	if kind == "rsa" {
		k = testkit.RSA
	}
	pki, err := testkit.NewPKI(testkit.LeafOptions{Kind: k, Names: []string{"autoconfig.example.ch"}})
	if err != nil {
		return "", "", err
	}
	return pki.WriteFiles(dir, kind+"-chain.pem", kind+"-key.pem")
}
