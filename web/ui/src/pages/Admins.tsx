import { useState } from 'react'
import { Table, Button, Modal, Form, Input, InputNumber, Select, Space, App, Popconfirm, Tag, Card } from 'antd'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api'
import { formatBytes } from '../lib/format'
import { useCan, useMe, useReadOnly } from '../App'

interface Admin { id: number; username: string; role: string; maxClients: number; maxTrafficBytes: number; twoFactor: boolean }
const ROLES = ['owner', 'admin', 'operator', 'viewer', 'reseller']
const GB = 1024 ** 3

// AdminForm adds an administrator (with a password) or changes one's
// role and reseller allowance (the quota is entered in GB).
function AdminForm({ edit, onClose }: { edit: Admin | 'new'; onClose: () => void }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const qc = useQueryClient()
  const [form] = Form.useForm()
  const role = Form.useWatch('role', form)
  const isNew = edit === 'new'
  const initial = isNew ? { role: 'viewer', maxClients: 0, maxTrafficGB: 0 }
    : { username: edit.username, role: edit.role, maxClients: edit.maxClients, maxTrafficGB: edit.maxTrafficBytes / GB }
  const submit = async (v: { username: string; password?: string; role: string; maxClients?: number; maxTrafficGB?: number }) => {
    const reseller = v.role === 'reseller'
    const body = { username: v.username, password: v.password, role: v.role,
      maxClients: reseller ? v.maxClients ?? 0 : 0, maxTrafficBytes: reseller ? Math.round((v.maxTrafficGB ?? 0) * GB) : 0 }
    try {
      await api.post(isNew ? 'admins/add' : `admins/update/${edit.id}`, body)
      message.success(t('common.saved'))
      await qc.invalidateQueries({ queryKey: ['admins'] })
      onClose()
    } catch (e) { message.error((e as Error).message) }
  }
  return (
    <Modal open title={isNew ? t('admins.add') : t('admins.edit')} onCancel={onClose} onOk={() => form.submit()} okText={t('common.save')} cancelText={t('common.cancel')}>
      <Form id="admin-form" form={form} layout="vertical" initialValues={initial} onFinish={submit}>
        <Form.Item name="username" label={t('admins.username')} rules={[{ required: true, message: t('v.required') }]}><Input id="admin-username" /></Form.Item>
        {isNew && <Form.Item name="password" label={t('admins.password')} rules={[{ required: true, min: 8, message: t('admins.passwordRule') }]}><Input.Password id="admin-password" /></Form.Item>}
        <Form.Item name="role" label={t('admins.role')}>
          <Select id="admin-role" options={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))} />
        </Form.Item>
        {role === 'reseller' && <>
          <Form.Item name="maxClients" label={t('admins.maxClients')}><InputNumber id="admin-max-clients" min={0} /></Form.Item>
          <Form.Item name="maxTrafficGB" label={t('admins.maxTraffic')}><InputNumber id="admin-max-traffic" min={0} /></Form.Item>
        </>}
      </Form>
    </Modal>
  )
}

function ResetPassword({ admin, onClose }: { admin: Admin; onClose: () => void }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const [pw, setPw] = useState('')
  const ok = async () => {
    try { await api.post(`admins/resetPassword/${admin.id}`, { password: pw }); message.success(t('admins.passwordReset')); onClose() } catch (e) { message.error((e as Error).message) }
  }
  return (
    <Modal open title={t('admins.resetPassword') + ': ' + admin.username} onCancel={onClose} onOk={ok} okButtonProps={{ disabled: pw.length < 8 }} okText={t('common.save')} cancelText={t('common.cancel')}>
      <Input.Password id="admin-new-password" value={pw} onChange={(e) => setPw(e.target.value)} placeholder={t('admins.passwordRule')} />
    </Modal>
  )
}

// Admins lists the panel's administrators for an owner: add, change role
// and allowance, reset a password, delete (the server keeps the last owner).
export default function Admins() {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const ro = useReadOnly()
  const can = useCan('admins.manage')
  const me = useMe()
  const qc = useQueryClient()
  const list = useQuery({ queryKey: ['admins'], queryFn: () => api.get<Admin[]>('admins/list'), enabled: can })
  const [edit, setEdit] = useState<Admin | 'new' | null>(null)
  const [reset, setReset] = useState<Admin | null>(null)
  const del = async (a: Admin) => {
    try { await api.post(`admins/del/${a.id}`); await qc.invalidateQueries({ queryKey: ['admins'] }) } catch (e) { message.error((e as Error).message) }
  }
  if (!can) return <Card>{t('admins.notAllowed')}</Card>
  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        <Button type="primary" id="add-admin" disabled={ro} onClick={() => setEdit('new')}>{t('admins.add')}</Button>
      </Space>
      <Table<Admin> id="admins-table" rowKey="id" size="middle" loading={list.isLoading} dataSource={list.data ?? []} pagination={false}
        columns={[
          { title: t('admins.username'), dataIndex: 'username' },
          { title: t('admins.role'), dataIndex: 'role', render: (r: string) => <Tag color={r === 'owner' ? 'gold' : r === 'reseller' ? 'purple' : 'blue'}>{t(`roles.${r}`)}</Tag> },
          { title: t('admins.allowance'), render: (_, a) => (a.role === 'reseller' ? `${a.maxClients} / ${formatBytes(a.maxTrafficBytes)}` : '') },
          { title: t('admins.twoFactor'), dataIndex: 'twoFactor', render: (v: boolean) => (v ? t('common.yes') : t('common.no')) },
          {
            title: t('common.actions'), render: (_, a) => (
              <Space>
                <Button size="small" disabled={ro} onClick={() => setEdit(a)}>{t('common.edit')}</Button>
                {a.id !== me?.userId && <Button size="small" disabled={ro} onClick={() => setReset(a)}>{t('admins.resetPassword')}</Button>}
                {a.id !== me?.userId && <Popconfirm title={t('firstHour.deleteAdmin', { name: a.username })} okText={t('common.delete')} okButtonProps={{ danger: true }} cancelText={t('common.cancel')} onConfirm={() => del(a)}>
                  <Button size="small" danger disabled={ro}>{t('common.delete')}</Button>
                </Popconfirm>}
              </Space>
            ),
          },
        ]} />
      {edit && <AdminForm edit={edit} onClose={() => setEdit(null)} />}
      {reset && <ResetPassword admin={reset} onClose={() => setReset(null)} />}
    </>
  )
}
