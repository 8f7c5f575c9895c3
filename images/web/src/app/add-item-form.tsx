'use client'

/**
 * The one interactive piece of the page; works without JavaScript too (plain form post). The fields
 * are uncontrolled with their default value taken from the action's state: React resets a form after
 * its action, to those defaults, so a refused submit shows what was typed and a success clears it.
 */
import { useActionState } from 'react'
import { DESCRIPTION_MAX, NAME_MAX } from '@/lib/limits'
import { addItem, type AddItemState } from './actions'

const initialState: AddItemState = { status: 'idle', message: '', values: { name: '', description: '' }, errors: {} }

const FIELD =
  'mt-1 block w-full min-w-0 rounded-md border border-slate-400 bg-white px-3 py-2 text-slate-900 ' +
  'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-700 ' +
  'aria-invalid:border-red-700 dark:border-slate-500 dark:bg-slate-900 dark:text-slate-100 ' +
  'dark:focus-visible:outline-blue-300 dark:aria-invalid:border-red-400'
const ERROR = 'mt-1 text-sm font-semibold text-red-700 wrap-anywhere dark:text-red-400'

export function AddItemForm() {
  const [state, formAction, pending] = useActionState(addItem, initialState)
  const { errors, values } = state
  return (
    <form action={formAction} data-testid="add-item" className="grid max-w-xl gap-4">
      <div>
        <label htmlFor="item-name" className="block font-medium">
          Name
        </label>
        <input
          id="item-name"
          name="name"
          data-testid="name-input"
          required
          maxLength={NAME_MAX}
          autoComplete="off"
          defaultValue={values.name}
          aria-invalid={errors.name ? true : undefined}
          aria-describedby={errors.name ? 'item-name-error' : undefined}
          className={FIELD}
        />
        {errors.name ? (
          <p id="item-name-error" data-testid="name-error" className={ERROR}>
            {errors.name}
          </p>
        ) : null}
      </div>
      <div>
        <label htmlFor="item-description" className="block font-medium">
          Description <span className="font-normal text-slate-600 dark:text-slate-400">(optional)</span>
        </label>
        <textarea
          id="item-description"
          name="description"
          data-testid="description-input"
          rows={2}
          maxLength={DESCRIPTION_MAX}
          defaultValue={values.description}
          aria-invalid={errors.description ? true : undefined}
          aria-describedby={errors.description ? 'item-description-error' : undefined}
          className={FIELD}
        />
        {errors.description ? (
          <p id="item-description-error" data-testid="description-error" className={ERROR}>
            {errors.description}
          </p>
        ) : null}
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <button
          type="submit"
          disabled={pending}
          className={
            'rounded-md bg-blue-700 px-4 py-2 font-semibold text-white hover:bg-blue-800 disabled:cursor-wait ' +
            'disabled:opacity-70 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-700 ' +
            'dark:focus-visible:outline-blue-300'
          }
        >
          {pending ? 'Adding…' : 'Add item'}
        </button>
        <p
          role="status"
          data-testid="add-item-result"
          className={
            'min-w-0 wrap-anywhere ' +
            (state.status === 'failed'
              ? 'font-semibold text-red-700 dark:text-red-400'
              : 'text-slate-600 dark:text-slate-400')
          }
        >
          {state.message}
        </p>
      </div>
    </form>
  )
}
