package checks

// Where a container is told to listen: the forms of flags, shell scripts,
// Java properties and env values that name a listen port, and the settings
// that name another server's port instead.

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestListenSettings(t *testing.T) {
	cases := []struct {
		name    string
		c       corev1.Container
		port    int32 // 0: no listen setting expected
		role    portRole
		loop    bool
		setting string
	}{
		{"equals flag", corev1.Container{Args: []string{"--http-port=8080"}}, 8080, roleApp, false, "arg --http-port=8080"},
		{"spaced flag", corev1.Container{Args: []string{"--port", "9000"}}, 9000, roleApp, false, "arg --port 9000"},
		{"bind address with port", corev1.Container{Args: []string{"--bind-address=0.0.0.0:6443"}}, 6443, roleApp, false, "arg --bind-address=0.0.0.0:6443"},
		{"camel case", corev1.Container{Args: []string{"--httpsPort=8443"}}, 8443, roleApp, false, "arg --httpsPort=8443"},
		{"java property", corev1.Container{Command: []string{"java", "-Dserver.port=8081", "-jar", "app.jar"}}, 8081, roleApp, false, "arg -Dserver.port=8081"},
		{"shell script", corev1.Container{Command: []string{"sh", "-c", "exec app --listen :7000"}}, 7000, roleApp, false, "arg --listen :7000"},
		{"env expansion", corev1.Container{Args: []string{"--port=$(HTTP)"}, Env: []corev1.EnvVar{{Name: "HTTP", Value: "5000"}}}, 5000, roleApp, false, "arg --port=5000"},
		{"metrics flag", corev1.Container{Args: []string{"--metrics-bind-address=:8080"}}, 8080, roleMetrics, false, "arg --metrics-bind-address=:8080"},
		{"health flag", corev1.Container{Args: []string{"--health-probe-bind-address=:8081"}}, 8081, roleHealth, false, "arg --health-probe-bind-address=:8081"},
		{"loopback", corev1.Container{Args: []string{"--listen=127.0.0.1:9000"}}, 9000, roleApp, true, "arg --listen=127.0.0.1:9000"},
		{"url", corev1.Container{Args: []string{"--listen-address=http://0.0.0.0:9093"}}, 9093, roleApp, false, "arg --listen-address=http://0.0.0.0:9093"},
		{"env port", corev1.Container{Env: []corev1.EnvVar{{Name: "SERVER_PORT", Value: "8088"}}}, 8088, roleApp, false, `env SERVER_PORT="8088"`},
		{"client flag", corev1.Container{Args: []string{"--redis-port=6379"}}, 0, 0, false, ""},
		{"another server's address", corev1.Container{Args: []string{"--api-address=http://api:8080"}}, 0, 0, false, ""},
		{"client env pair", corev1.Container{Env: []corev1.EnvVar{{Name: "QUEUE_HOST", Value: "rabbit"}, {Name: "QUEUE_PORT", Value: "5672"}}}, 0, 0, false, ""},
		{"injected style variable", corev1.Container{Env: []corev1.EnvVar{{Name: "CART_SERVICE_PORT", Value: "80"}}}, 0, 0, false, ""},
		{"not a port", corev1.Container{Args: []string{"--port=http"}}, 0, 0, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Name = "app"
			got := containerListenSettings(&tc.c)
			if tc.port == 0 {
				if len(got) != 0 {
					t.Fatalf("want no listen setting, got %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one listen setting, got %+v", got)
			}
			want := listenSetting{Container: "app", Port: tc.port, Setting: tc.setting, Role: tc.role, Loopback: tc.loop}
			if got[0] != want {
				t.Errorf("got %+v, want %+v", got[0], want)
			}
		})
	}
}
