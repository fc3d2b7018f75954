// The site (static-site/: plain HTML/CSS/JS, no build) on Azure Static Web Apps, with the Function App
// linked as its backend: the site calls /api/* on its own origin, so no CORS rule is needed.
// Linked backends need the Standard plan.
// Sign-in is Static Web Apps authentication: its pre-configured providers need no app registration and
// no secret. Which providers may be used, and that /api/* is for signed-in users only, is said by
// static-site/staticwebapp.config.json (the deploy writes its provider rules from AUTH_PROVIDERS:
// infra/scripts/site_auth.py); the Function App accepts only what the site forwards (api-access.bicep).

@description('Static Web App name.')
param name string

@description('Region of the Static Web App (Static Web Apps is offered in a few regions only).')
param location string

@description('Tags applied to the resource (the site also gets azd-service-name: web).')
param tags object = {}

@description('Resource id of the Function App to link as the backend.')
param backendResourceId string

@description('Region of the Function App.')
param backendLocation string

resource site 'Microsoft.Web/staticSites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'web'
  })
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    provider: 'Custom'
    allowConfigFileUpdates: true
    stagingEnvironmentPolicy: 'Disabled'
  }
}

resource backend 'Microsoft.Web/staticSites/linkedBackends@2024-04-01' = {
  parent: site
  name: 'api'
  properties: {
    backendResourceId: backendResourceId
    region: backendLocation
  }
}

output name string = site.name
output defaultHostname string = site.properties.defaultHostname
output uri string = 'https://${site.properties.defaultHostname}'
