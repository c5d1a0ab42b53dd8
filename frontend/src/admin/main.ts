/** The access-token page: sign in with the API secret, list, create and delete subjects. */
import '../style.css';
import './admin.css';
import { credentialFrom, loadCredential, saveCredential } from '../credentials';
import { Role, Subject, Unauthorized, createSubject, deleteSubject, followerLink, listRoles, listSubjects } from './api';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** What each built-in role lets a token do, in plain words. */
const ROLE_HELP: Record<string, string> = {
  readable: 'See readings, treatments and the dashboard',
  careportal: 'Add treatments (carbs, insulin, notes)',
  'devicestatus-upload': 'Upload device status (pump, loop)',
  'status-only': 'Only check that the site is up',
  activity: 'Upload activity',
  admin: 'Everything, like the API secret',
  denied: 'Nothing',
};

let secretHash: string | null = null;

function showSignin(message = ''): void {
  $('manage').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message;
  $<HTMLInputElement>('secret').focus();
}

async function copy(text: string, button: HTMLButtonElement): Promise<void> {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Select and copy it above';
  }
  setTimeout(() => (button.textContent = label), 2000);
}

function button(text: string, onClick: (b: HTMLButtonElement) => void, cls = ''): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  if (cls) b.className = cls;
  b.addEventListener('click', () => onClick(b));
  return b;
}

function render(subjects: Subject[]): void {
  const list = $('subjects');
  list.replaceChildren();
  $('status').textContent = subjects.length === 0 ? 'No tokens yet.' : '';
  for (const s of subjects) {
    const li = document.createElement('li');
    li.className = 'subject';
    li.dataset.name = s.name;
    const h = document.createElement('h3');
    h.textContent = s.name;
    const roles = document.createElement('p');
    roles.className = 'roles';
    roles.textContent = s.roles.length ? s.roles.join(', ') : 'no roles';
    li.append(h, roles);
    if (s.accessToken) {
      const token = s.accessToken;
      const link = followerLink(location.origin, location.pathname, token);
      const code = document.createElement('code');
      code.className = 'token';
      code.textContent = token;
      const linkCode = document.createElement('code');
      linkCode.className = 'link';
      linkCode.textContent = link;
      const actions = document.createElement('div');
      actions.className = 'actions';
      actions.append(
        button('Copy token', (b) => void copy(token, b)),
        button('Copy follower link', (b) => void copy(link, b)),
        button('Delete', () => void remove(s), 'danger'),
      );
      li.append(code, linkCode, actions);
    }
    list.append(li);
  }
}

function renderRoles(roles: Role[]): void {
  const box = $('roles');
  box.querySelectorAll('.role').forEach((e) => e.remove());
  for (const r of roles) {
    const label = document.createElement('label');
    label.className = 'role';
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.name = 'role';
    input.value = r.name;
    input.checked = r.name === 'readable';
    const text = document.createElement('span');
    text.textContent = r.name;
    const help = document.createElement('small');
    help.textContent = ROLE_HELP[r.name] ?? r.permissions.join(', ');
    text.append(help);
    label.append(input, text);
    box.append(label);
  }
}

async function refresh(): Promise<void> {
  if (!secretHash) return showSignin();
  try {
    const [subjects, roles] = await Promise.all([listSubjects(secretHash), listRoles(secretHash)]);
    $('signin').hidden = true;
    $('manage').hidden = false;
    renderRoles(roles);
    render(subjects);
  } catch (e) {
    if (e instanceof Unauthorized) {
      secretHash = null;
      saveCredential(localStorage, null);
      showSignin('That API secret was not accepted.');
    } else {
      $('status').textContent = `Cannot load tokens: ${(e as Error).message}`;
    }
  }
}

async function remove(s: Subject): Promise<void> {
  if (!secretHash || !confirm(`Delete the token for “${s.name}”? Anyone using it loses access at once.`)) return;
  try {
    await deleteSubject(secretHash, s._id);
    await refresh();
  } catch (e) {
    $('status').textContent = `Not deleted: ${(e as Error).message}`;
  }
}

$('signin').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const c = credentialFrom($<HTMLInputElement>('secret').value);
  if (!c || c.kind !== 'secret') return showSignin('Enter the API secret (an access token cannot manage tokens).');
  secretHash = c.hash;
  saveCredential(localStorage, c);
  $<HTMLInputElement>('secret').value = '';
  void refresh();
});

$('create').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (!secretHash) return showSignin();
  const name = $<HTMLInputElement>('name').value.trim();
  const notes = $<HTMLInputElement>('notes').value.trim();
  const roles = [...document.querySelectorAll<HTMLInputElement>('input[name=role]:checked')].map((i) => i.value);
  $('create-error').textContent = '';
  try {
    await createSubject(secretHash, notes ? { name, roles, notes } : { name, roles });
    $<HTMLInputElement>('name').value = '';
    $<HTMLInputElement>('notes').value = '';
    await refresh();
  } catch (e) {
    $('create-error').textContent = e instanceof Unauthorized ? 'Sign in again.' : (e as Error).message;
  }
});

$('signout').addEventListener('click', () => {
  secretHash = null;
  saveCredential(localStorage, null);
  showSignin();
});

const saved = loadCredential(localStorage);
secretHash = saved?.kind === 'secret' ? saved.hash : null;
void refresh();
