import { lazy, Suspense, useEffect, useMemo, useState, createContext, useContext } from 'react'
import { Routes, Route, Navigate, useNavigate, useLocation } from 'react-router'
import { App as AntApp, ConfigProvider, Layout, Menu, Switch, Select, Alert, Spin, theme as antTheme, Space, Button, Grid } from 'antd'
import { MenuOutlined } from '@ant-design/icons'
import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from './lib/api'
import { basePath } from './lib/base'
import { languages, setLanguage } from './i18n'
import { uiLocale } from './antdLocale'
import Login from './pages/Login'
import { pages, prefetchPages } from './pages'

const Overview = lazy(pages.overview)
const Inbounds = lazy(pages.inbounds)
const Clients = lazy(pages.clients)
const Nodes = lazy(pages.nodes)
const Settings = lazy(pages.settings)
const Logs = lazy(pages.logs)
const Notifications = lazy(pages.notifications)
const Audit = lazy(pages.audit)
const Admins = lazy(pages.admins)

export interface NodeInfo { role: string; nodeId: string; nodeAddress: string; readOnly: boolean; masterAddress: string; panelVersion?: string }
const NodeCtx = createContext<NodeInfo | undefined>(undefined)
// useReadOnly is true on a worker: every write control is disabled.
export function useReadOnly(): boolean { return !!useContext(NodeCtx)?.readOnly }

// Me is GET panel/api/me: who is logged in, with what role and permissions
// (docs/roles.md). The UI reads it once and hides what the role may not do.
export interface Me { userId: number; username: string; role: string; permissions: string[]; roles: string[]; maxClients?: number; maxTrafficBytes?: number }
const MeCtx = createContext<Me | undefined>(undefined)
export function useMe(): Me | undefined { return useContext(MeCtx) }
// useCan is false until the permissions are known, so a write control
// never flashes up for a role without it.
export function useCan(perm: string): boolean { return !!useContext(MeCtx)?.permissions.includes(perm) }

// pagePerm is the permission a menu entry needs to be shown.
const pagePerm: Record<string, string> = { overview: 'server.status', inbounds: 'inbounds.read', clients: 'clients.read', nodes: 'nodes.read', settings: 'panel.use', logs: 'logs.read', notifications: 'notify.read', audit: 'audit.read', admins: 'admins.manage' }

const THEME_KEY = 'xui.theme'
const lightTokens = { green: '#237804', gold: '#ad6800', orange: '#ad4e00', colorPrimary: '#0958d9', colorLink: '#0958d9', colorError: '#cf1322', colorSuccess: '#237804', colorTextDescription: 'rgba(0,0,0,0.62)', colorTextTertiary: 'rgba(0,0,0,0.62)' }
// The selected tab's text sits on the page, not on the primary color: lighter.
const darkComponents = { Tabs: { itemSelectedColor: '#69b1ff', itemActiveColor: '#69b1ff', itemHoverColor: '#91caff', inkBarColor: '#69b1ff' } }
const darkTokens = { colorPrimary: '#1668dc', colorLink: '#69b1ff', colorError: '#ff7875', colorTextDescription: 'rgba(255,255,255,0.65)', colorTextTertiary: 'rgba(255,255,255,0.65)' }

function Shell({ dark, setDark }: { dark: boolean; setDark: (d: boolean) => void }) {
  const { t, i18n } = useTranslation()
  const nav = useNavigate()
  const loc = useLocation()
  useEffect(prefetchPages, [])
  const info = useQuery({ queryKey: ['nodeInfo'], queryFn: () => api.get<NodeInfo>('server/nodeInfo') })
  const me = useQuery({ queryKey: ['me'], queryFn: () => api.get<Me>('me'), staleTime: Infinity })
  const perms = me.data?.permissions ?? []
  // Until admin/admin is changed every page warns (3x-ui does too).
  const defCred = useQuery({ queryKey: ['defaultCredential'], queryFn: () => api.get<boolean>('setting/defaultCredential') })
  const home = perms.includes('server.status') ? 'overview' : 'clients'
  const page = loc.pathname.replace(/^\/panel\/?/, '').split('/')[0] || home
  const items = ['overview', 'inbounds', 'clients', 'nodes', 'notifications', 'settings', 'logs', 'audit', 'admins'].filter((k) => perms.includes(pagePerm[k]))
    .map((k) => ({ key: k, label: t(`menu.${k}`) }))
  // Below lg the menu is a drawer opened by a header button: antd's own
  // zero-width trigger floated over the page (covering Add client on a
  // phone) and was no button a keyboard could reach.
  const narrow = Grid.useBreakpoint().lg === false // undefined until measured: desktop
  const [menuOpen, setMenuOpen] = useState(false)
  return (
    <MeCtx.Provider value={me.data}>
    <NodeCtx.Provider value={info.data}>
      <Layout style={{ minHeight: '100vh' }}>
        <Layout.Sider collapsed={narrow && !menuOpen} collapsedWidth={0} trigger={null} theme={dark ? 'dark' : 'light'}
          style={narrow ? { position: 'fixed', zIndex: 1000, height: 'calc(100vh - 64px)', insetInlineStart: 0, top: 64, overflow: 'auto' } : undefined}>
          <div style={{ padding: 16, fontWeight: 700, fontSize: 18 }}>{t('app.title')}</div>
          <Menu mode="inline" selectedKeys={[page]} items={items} onClick={(e) => { setMenuOpen(false); nav(`/panel/${e.key === 'overview' ? '' : e.key}`) }} theme={dark ? 'dark' : 'light'} />
        </Layout.Sider>
        <Layout>
          <Layout.Header style={{ display: 'flex', justifyContent: 'flex-end', alignItems: 'center', gap: 16, background: 'transparent', padding: narrow ? '0 16px' : undefined }}>
            {narrow && <Button aria-label={t('firstHour.menu')} aria-expanded={menuOpen} icon={<MenuOutlined />} onClick={() => setMenuOpen(!menuOpen)} style={{ marginInlineEnd: 'auto' }} />}
            <Space>
              {me.data && <span id="whoami" style={narrow ? { display: 'none' } : undefined}>{me.data.username} ({t(`roles.${me.data.role}`)})</span>}
              {!narrow && <span>{t('app.theme')}</span>}
              <Switch aria-label={t('app.theme')} data-testid="theme" checked={dark} onChange={setDark} />
              <Select aria-label={t('app.language')} data-testid="lang" value={i18n.language} options={languages} onChange={setLanguage} style={{ width: narrow ? 100 : 120 }} />
              <Button href={basePath() + 'logout'}>{t('app.logout')}</Button>
            </Space>
          </Layout.Header>
          <Layout.Content style={{ padding: 16 }}>
            {info.data?.readOnly && (
              <Alert id="worker-banner" type="warning" showIcon style={{ marginBottom: 16 }} role="alert"
                title={t('worker.banner', { master: info.data.masterAddress || t('worker.unknownMaster') })} />
            )}
            {defCred.data === true && (
              <Alert id="default-cred-banner" type="error" showIcon style={{ marginBottom: 16 }} role="alert" title={t('firstHour.defaultCred')}
                action={<Button size="small" danger onClick={() => nav('/panel/settings/account')}>{t('firstHour.changeNow')}</Button>} />
            )}
            <Suspense fallback={<Spin />}>
              <Routes>
                <Route path="/panel/" element={me.data && home === 'clients' ? <Clients /> : <Overview />} />
                <Route path="/panel/inbounds" element={<Inbounds />} />
                <Route path="/panel/clients" element={<Clients />} />
                <Route path="/panel/nodes" element={<Nodes />} />
                <Route path="/panel/settings" element={<Settings />} />
                <Route path="/panel/settings/:tab" element={<Settings />} />
                <Route path="/panel/logs" element={<Logs />} />
                <Route path="/panel/notifications" element={<Notifications />} />
                <Route path="/panel/notifications/:tab" element={<Notifications />} />
                <Route path="/panel/audit" element={<Audit />} />
                <Route path="/panel/admins" element={<Admins />} />
                <Route path="*" element={<Navigate to="/panel/" replace />} />
              </Routes>
            </Suspense>
          </Layout.Content>
        </Layout>
      </Layout>
    </NodeCtx.Provider>
    </MeCtx.Provider>
  )
}

export default function App() {
  const { i18n } = useTranslation()
  const [dark, setDarkState] = useState(() => localStorage.getItem(THEME_KEY) === 'dark')
  const setDark = (d: boolean) => { localStorage.setItem(THEME_KEY, d ? 'dark' : 'light'); setDarkState(d) }
  // Native controls (the clients table's checkboxes) follow the theme too.
  useEffect(() => { document.documentElement.style.colorScheme = dark ? 'dark' : 'light' }, [dark])
  const loc = useLocation()
  // One theme object per theme: App re-renders on every navigation.
  // Tokens darkened (light) or lightened (dark) from antd's defaults to
  // reach WCAG AA 4.5:1 text contrast; the browser tests audit it (axe).
  const themeCfg = useMemo(() => ({ algorithm: dark ? antTheme.darkAlgorithm : antTheme.defaultAlgorithm, token: dark ? darkTokens : lightTokens, components: dark ? darkComponents : undefined }), [dark])
  const onLogin = loc.pathname === '/' || loc.pathname === '/login' || loc.pathname === ''
  return (
    <ConfigProvider {...uiLocale(i18n.language)} theme={themeCfg}>
      <AntApp style={{ minHeight: '100vh', background: dark ? '#141414' : '#f5f5f5' }}>
        {onLogin ? <Login /> : <Shell dark={dark} setDark={setDark} />}
      </AntApp>
    </ConfigProvider>
  )
}
