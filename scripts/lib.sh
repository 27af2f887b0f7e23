# Shared by scripts/start and scripts/test: install what is missing.
# Debian packages need root (CI and these machines run as root).

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "Missing Debian packages: $*. Install them (sudo apt-get install $*) and run this again." >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
  log "Installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

have_postgres_server() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}

need_postgres() {
  have_postgres_server || apt_install postgresql
}

need_chromium() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  [ ${#missing[@]} = 0 ] || apt_install "${missing[@]}"
}

need_node() {
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
}

# npm ci when node_modules does not match package-lock.json.
need_node_modules() {
  need_node
  if ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null \
     && ! [ node_modules/.installed-from -nt package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    touch node_modules/.installed-from
  fi
}

# Our stylesheet: GOV.UK Frontend compiled with the Partnership Hub brand.
build_css() {
  if [ ! -f static/build/hub.css ] || [ -n "$(find static/scss -newer static/build/hub.css -print -quit)" ] \
     || [ package-lock.json -nt static/build/hub.css ]; then
    log "Building the stylesheet"
    npm run --silent build:css
  fi
}
