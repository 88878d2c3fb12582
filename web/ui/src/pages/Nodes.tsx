import { Table, Tag, Typography } from 'antd'
import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api'
import { formatBytes } from '../lib/format'

interface NodeRow { nodeId: string; nodeRole: string; nodeAddress: string; lastSeenVersion: number; configHash: string; xrayState: string; pendingDeltas: number; lastError: string; lag: number; stale: boolean; heartbeatAge: number; up24h?: number; down24h?: number; fullSyncs?: number; deltaSyncs?: number }
interface Overview { sharedVersion: number; syncInterval: number; nodes: NodeRow[] }

export default function Nodes() {
  const { t } = useTranslation()
  const q = useQuery({ queryKey: ['nodes'], queryFn: () => api.get<Overview>('nodes/list'), refetchInterval: 3000 })
  return (
    <>
      <Typography.Paragraph>{t('node.shared', { v: q.data?.sharedVersion ?? 0 })}</Typography.Paragraph>
      <Table<NodeRow> rowKey="nodeId" size="small" dataSource={q.data?.nodes ?? []} loading={q.isLoading} pagination={false} scroll={{ x: true }}
        rowClassName={(r) => (r.stale ? 'node-stale' : 'node-live')}
        columns={[
          { title: t('node.id'), dataIndex: 'nodeId' },
          { title: t('node.role'), dataIndex: 'nodeRole', render: (r) => <Tag color={r === 'master' ? 'blue' : 'default'}>{r}</Tag> },
          { title: t('node.address'), dataIndex: 'nodeAddress' },
          { title: t('node.version'), render: (_, r) => `${r.lastSeenVersion} / ${q.data?.sharedVersion ?? ''}` },
          { title: t('node.lag'), dataIndex: 'lag' },
          { title: t('node.hash'), dataIndex: 'configHash', render: (h: string) => <code>{(h || '').slice(0, 12)}</code> },
          { title: t('node.heartbeat'), render: (_, r) => <span>{t('node.ago', { s: r.heartbeatAge })} {r.stale ? <Tag className="stale-tag" color="red">{t('node.stale')}</Tag> : <Tag className="live-tag" color="green">{t('node.live')}</Tag>}</span> },
          { title: t('node.xray'), dataIndex: 'xrayState' },
          { title: t('node.traffic24h'), key: 'traffic24h', render: (_, r) => <span className="node-traffic24h" title={t('node.traffic24hHint')}>↑ {formatBytes(r.up24h ?? 0)} / ↓ {formatBytes(r.down24h ?? 0)}</span> },
          { title: t('node.syncs'), key: 'syncs', render: (_, r) => <span className="node-syncs" title={t('node.syncsHint')}>{r.fullSyncs ?? 0} / {r.deltaSyncs ?? 0}</span> },
          { title: t('node.pending'), dataIndex: 'pendingDeltas' },
          { title: t('node.error'), dataIndex: 'lastError' },
        ]} />
    </>
  )
}
