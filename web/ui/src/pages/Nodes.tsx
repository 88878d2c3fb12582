import { Table, Tag, Typography, Card, Descriptions, Alert } from 'antd'
import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api'
import { formatBytes } from '../lib/format'
import { stateLabel } from '../lib/enums'
import type { NodeInfo } from '../App'

// Where the multi-node runbook lives (install.sh points at the same repository).
const WORKERS_DOC = 'https://github.com/mhsanaei/3x-ui/blob/main/docs/multi-node-sync.md'
interface XrayStatus { xray: { state: string; version: string } }

// ThisNode is the Nodes page of a single node: no node_states rows exist,
// so it shows this node from nodeInfo and status and says how to add workers.
function ThisNode() {
  const { t } = useTranslation()
  const info = useQuery({ queryKey: ['nodeInfo'], queryFn: () => api.get<NodeInfo>('server/nodeInfo') })
  const st = useQuery({ queryKey: ['status'], queryFn: () => api.get<XrayStatus>('server/status'), refetchInterval: 3000 })
  const x = st.data?.xray
  return (
    <Card id="this-node" size="small" title={t('firstHour.thisNode')}>
      <Descriptions size="small" column={1} items={[
        { key: 'role', label: t('node.role'), children: <Tag color="blue">{t(`enums.role.${info.data?.role || 'master'}`, { defaultValue: info.data?.role })}</Tag> },
        { key: 'xrayState', label: t('firstHour.xrayState'), children: <Tag color={x?.state === 'running' ? 'green' : 'red'}>{x ? stateLabel(t, x.state) : '…'}</Tag> },
        { key: 'xrayVersion', label: t('firstHour.xrayVersion'), children: x?.version || '…' },
        { key: 'panelVersion', label: t('firstHour.panelVersion'), children: info.data?.panelVersion || '…' },
        { key: 'address', label: t('node.address'), children: info.data?.nodeAddress || window.location.host },
      ]} />
      <Alert type="info" showIcon style={{ marginTop: 12 }} title={t('firstHour.single')}
        description={<a href={WORKERS_DOC} target="_blank" rel="noreferrer">{t('firstHour.howTo')}</a>} />
    </Card>
  )
}

interface NodeRow { nodeId: string; nodeRole: string; nodeAddress: string; lastSeenVersion: number; configHash: string; xrayState: string; pendingDeltas: number; lastError: string; lag: number; stale: boolean; heartbeatAge: number; up24h?: number; down24h?: number; fullSyncs?: number; deltaSyncs?: number }
interface Overview { sharedVersion: number; syncInterval: number; nodes: NodeRow[] }

export default function Nodes() {
  const { t } = useTranslation()
  const q = useQuery({ queryKey: ['nodes'], queryFn: () => api.get<Overview>('nodes/list'), refetchInterval: 3000 })
  if (q.data && q.data.nodes.length === 0) return <ThisNode />
  return (
    <>
      <Typography.Paragraph>{t('node.shared', { v: q.data?.sharedVersion ?? 0 })}</Typography.Paragraph>
      <Table<NodeRow> rowKey="nodeId" size="small" dataSource={q.data?.nodes ?? []} loading={q.isLoading} pagination={false} scroll={{ x: true }}
        rowClassName={(r) => (r.stale ? 'node-stale' : 'node-live')}
        columns={[
          { title: t('node.id'), dataIndex: 'nodeId' },
          { title: t('node.role'), dataIndex: 'nodeRole', render: (r) => <Tag color={r === 'master' ? 'blue' : 'default'}>{t(`enums.role.${r}`, { defaultValue: r })}</Tag> },
          { title: t('node.address'), dataIndex: 'nodeAddress' },
          { title: t('node.version'), render: (_, r) => `${r.lastSeenVersion} / ${q.data?.sharedVersion ?? ''}` },
          { title: t('node.lag'), dataIndex: 'lag' },
          { title: t('node.hash'), dataIndex: 'configHash', render: (h: string) => <code>{(h || '').slice(0, 12)}</code> },
          { title: t('node.heartbeat'), render: (_, r) => <span>{t('node.ago', { s: r.heartbeatAge })} {r.stale ? <Tag className="stale-tag" color="red">{t('node.stale')}</Tag> : <Tag className="live-tag" color="green">{t('node.live')}</Tag>}</span> },
          { title: t('node.xray'), dataIndex: 'xrayState', render: (v: string) => stateLabel(t, v) },
          { title: t('node.traffic24h'), key: 'traffic24h', render: (_, r) => <span className="node-traffic24h" title={t('node.traffic24hHint')}>↑ {formatBytes(r.up24h ?? 0)} / ↓ {formatBytes(r.down24h ?? 0)}</span> },
          { title: t('node.syncs'), key: 'syncs', render: (_, r) => <span className="node-syncs" title={t('node.syncsHint')}>{r.fullSyncs ?? 0} / {r.deltaSyncs ?? 0}</span> },
          { title: t('node.pending'), dataIndex: 'pendingDeltas' },
          { title: t('node.error'), dataIndex: 'lastError' },
        ]} />
    </>
  )
}
