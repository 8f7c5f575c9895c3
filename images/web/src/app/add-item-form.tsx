'use client'

/** The one interactive piece of the page; works without JavaScript too (plain form post). */
import { useActionState } from 'react'
import { addItem, type AddItemState } from './actions'

const initialState: AddItemState = { status: 'idle', message: '' }

export function AddItemForm() {
  const [state, formAction, pending] = useActionState(addItem, initialState)
  return (
    <form action={formAction} data-testid="add-item">
      <label>
        Name <input name="name" required maxLength={200} autoComplete="off" />
      </label>
      <label>
        Description <textarea name="description" rows={2} maxLength={2000} />
      </label>
      <button type="submit" disabled={pending}>
        {pending ? 'Adding…' : 'Add item'}
      </button>
      <p role="status" className={state.status === 'failed' ? 'bad' : 'muted'} data-testid="add-item-result">
        {state.message}
      </p>
    </form>
  )
}
